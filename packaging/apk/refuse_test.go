//go:build apktools

// What apk must refuse with only the project's key trusted, each refusal beside the case
// that shows it can pass: another architecture's package, a package with one byte
// changed (from the repository and as a file), an unsigned package, an unsigned index.

package apk

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getsmall/getsmall/packaging"
)

// flipByte changes the byte in the middle of a file, inside the packed binary's data.
func flipByte(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	write(t, path, string(b), 0o644)
}

// refusals runs every refusal on r, whose repository is served from srv, and then installs
// and removes the unsigned package with --allow-untrusted: the signature, and nothing
// else, is what apk refused it for.
func (s *setup) refusals(r *root, d distro, srv string) {
	t, arch := r.t, r.sys.arch
	r.refused("arch: "+r.sys.foreign, "add", s.older.pkg(d.format, r.sys.foreign))

	publish(t, s.older, d.format, arch, srv)
	_, _, full := s.older.build.Version.For(d.format)
	served := filepath.Join(srv, arch, "getsmall-"+full+".apk")
	flipByte(t, served)
	r.refused(d.changed, "add", "getsmall")

	changed := filepath.Join(t.TempDir(), "getsmall.apk")
	copyFile(t, s.older.pkg(d.format, arch), changed, 0o644)
	flipByte(t, changed)
	r.refused(d.changed, "add", changed)

	unsigned := s.unsigned.pkg(d.format, arch)
	r.refused("UNTRUSTED", "add", unsigned)

	// The good package behind an index nobody signed.
	copyFile(t, s.older.pkg(d.format, arch), served, 0o644)
	index := []string{"--allow-untrusted", "index", "--output", filepath.Join(srv, arch, "APKINDEX.tar.gz"), served}
	if d.format == packaging.APK3 {
		index = []string{"--allow-untrusted", "mkndx", "--pkgname-spec", "${name}-${version}.apk",
			"--output", filepath.Join(srv, arch, "packages.adb"), served}
	}
	if out, err := exec.Command(s.apk, index...).CombinedOutput(); err != nil {
		t.Fatalf("apk %s: %v\n%s", strings.Join(index, " "), err, out)
	}
	r.refused("UNTRUSTED", "add", "getsmall")

	r.must("add", "--allow-untrusted", unsigned)
	if _, err := os.Stat(filepath.Join(r.dir, "usr/bin/getsmall")); err != nil {
		t.Errorf("the unsigned package with --allow-untrusted: %v", err)
	}
	r.must("del", "getsmall")
}
