//go:build apktools

// A root directory for apk to install into: Debian's busybox-static as its shell and
// tools, the stand-ins of its distribution, apk's configuration with one repository and
// one trusted key, and an initialised database.

package apk

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// system is one kind of device: a distribution and its apk architecture.
type system struct {
	distro  string // alpine or openwrt
	arch    string // the root's /etc/apk/arch
	goarch  string // its busybox's Debian architecture, amd64 or arm64
	foreign string // the architecture of a package of ours it must refuse
}

// skeleton is what each distribution's root holds before a package comes: the directories
// and users its base system has, and the (empty) logs and state directories of its
// stand-ins, which are no package's.
var skeleton = map[string]struct {
	dirs              []string
	passwd, group, sh string
	logs, state       []string
}{
	"alpine": { //nolint:gosec // a root's /etc/passwd and /etc/shadow: no credentials
		dirs:   []string{"etc/init.d", "etc/conf.d", "etc/runlevels/default", "etc/runlevels/boot", "run"},
		state:  []string{"run/openrc/started"},
		passwd: "root:x:0:0:root:/root:/bin/ash\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n",
		group:  "root:x:0:root\nnogroup:x:65533:\nnobody:x:65534:\n",
		sh:     "root:*::0:::::\nnobody:!::0:::::\n",
		logs:   []string{"var/log/openrc.log"},
	},
	"openwrt": { //nolint:gosec // a root's /etc/passwd and /etc/shadow: no credentials
		dirs:   []string{"etc/init.d", "etc/config", "etc/rc.d", "lib/apk/packages", "var/run"},
		state:  []string{"var/run/procd"},
		passwd: "root:x:0:0:root:/root:/bin/ash\ndaemon:*:1:1:daemon:/var:/bin/false\nnetwork:*:101:101:network:/var:/bin/false\nnobody:*:65534:65534:nobody:/var:/bin/false\n",
		group:  "root:x:0:\ndaemon:x:1:\nnetwork:x:101:\nnogroup:x:65534:\n",
		sh:     "root:::0:99999:7:::\ndaemon:*:0:0:99999:7:::\nnetwork:*:0:0:99999:7:::\nnobody:*:0:0:99999:7:::\n",
		logs:   []string{"var/log/procd.log"},
	},
}

// root is a directory apk installs into, for one system.
type root struct {
	t   *testing.T
	dir string
	sys system
	apk string
}

// newRoot makes a root for s with busybox as its shell, trusting only the public key pub
// (named keyName) and with one repository line, repo. Its base system is a package, as on
// a device (Alpine's alpine-baselayout, OpenWrt's base-files): apk removes a directory no
// installed package owns when the last file in it goes.
func newRoot(t *testing.T, s system, apk, busybox, pub, keyName, repo string) *root {
	t.Helper()
	r := &root{t: t, dir: t.TempDir(), sys: s, apk: apk}
	mkdir(t, r.dir)
	base := basePackage(t, s, apk, busybox)
	mkdir(t, filepath.Join(r.dir, "etc/apk/keys"))
	write(t, filepath.Join(r.dir, "etc/apk/arch"), s.arch+"\n", 0o644)
	write(t, filepath.Join(r.dir, "etc/apk/keys", keyName), pub, 0o644)
	// Alpine names the repository's base, OpenWrt its index file.
	if s.distro == "alpine" {
		write(t, filepath.Join(r.dir, "etc/apk/repositories"), repo+"\n", 0o644)
	} else {
		mkdir(t, filepath.Join(r.dir, "etc/apk/repositories.d"))
		write(t, filepath.Join(r.dir, "etc/apk/repositories.d/customfeeds.list"), repo+"\n", 0o644)
	}
	// The base package is the test's, not the project's: trusted for this once. A fix that
	// finds nothing to fix leaves apk's lock file, as any run on a device has.
	r.must("add", "--initdb", "--allow-untrusted", base)
	r.must("fix")
	// What the stand-ins write at run time, as a device's tmpfs holds it: no package's.
	sk := skeleton[s.distro]
	for _, d := range sk.state {
		mkdir(t, filepath.Join(r.dir, d))
	}
	for _, l := range sk.logs {
		write(t, filepath.Join(r.dir, l), "", 0o644)
	}
	return r
}

// basePackage builds the stand-in base system of s as a package: the directories its base
// system has, its users, the stand-ins, busybox and a link for each applet.
func basePackage(t *testing.T, s system, apk, busybox string) string {
	t.Helper()
	dir := t.TempDir()
	sk := skeleton[s.distro]
	for _, d := range append([]string{"", "bin", "sbin", "usr/bin", "usr/sbin", "usr/share", "lib", "tmp", "root",
		"var/log", "var/lock", "dev", "proc"}, sk.dirs...) {
		mkdir(t, filepath.Join(dir, d))
	}
	for path, content := range map[string]string{"etc/passwd": sk.passwd, "etc/group": sk.group, "etc/shadow": sk.sh} {
		write(t, filepath.Join(dir, path), content, 0o644)
	}
	if err := copyTree(filepath.Join("standin", s.distro), dir); err != nil {
		t.Fatal(err)
	}
	copyFile(t, busybox, filepath.Join(dir, "bin/busybox"), 0o755)
	applets, err := exec.Command("chroot", dir, "/bin/busybox", "--list-full").Output()
	if err != nil {
		t.Fatalf("busybox --list-full for %s: %v (is qemu-user registered for it?)", s.goarch, err)
	}
	for _, a := range strings.Fields(string(applets)) {
		if _, err := os.Lstat(filepath.Join(dir, a)); err != nil {
			if err := os.Symlink("/bin/busybox", filepath.Join(dir, a)); err != nil {
				t.Fatal(err)
			}
		}
	}
	out := filepath.Join(t.TempDir(), "base.apk")
	if b, err := exec.Command(apk, "mkpkg", "--info", "name:standin-base", "--info", "version:1-r0", "--info", "arch:noarch",
		"--info", "description:the test root's base system and stand-ins", "--files", dir, "--output", out).CombinedOutput(); err != nil {
		t.Fatalf("apk mkpkg the base: %v\n%s", err, b)
	}
	return out
}

// try runs apk on the root and returns what it said.
func (r *root) try(args ...string) (string, error) {
	out, err := exec.Command(r.apk, append([]string{"--root", r.dir, "--no-progress"}, args...)...).CombinedOutput()
	return string(out), err
}

// must runs apk on the root and fails the test if it fails.
func (r *root) must(args ...string) string {
	r.t.Helper()
	out, err := r.try(args...)
	if err != nil {
		r.t.Fatalf("apk %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// refused wants apk to fail with a message containing want and to leave the root's files
// as they were.
func (r *root) refused(want string, args ...string) {
	r.t.Helper()
	before := r.files()
	out, err := r.try(args...)
	if err == nil || !strings.Contains(out, want) {
		r.t.Errorf("apk %s: %v; want a refusal saying %q:\n%s", strings.Join(args, " "), err, want, out)
	}
	for l := range strings.Lines(out) {
		if strings.Contains(l, "ERROR") || strings.Contains(l, "UNTRUSTED") {
			r.t.Logf("refused: apk %s: %s", args[len(args)-1], strings.TrimSpace(l))
		}
	}
	if after := r.files(); !slices.Equal(before, after) {
		r.t.Errorf("apk %s changed the root's files:\n%s", strings.Join(args, " "), listDiff(before, after))
	}
}

// chroot runs a command in the root, its scripts and binaries as on the device.
func (r *root) chroot(args ...string) string {
	r.t.Helper()
	out, err := exec.Command("chroot", append([]string{r.dir}, args...)...).CombinedOutput()
	if err != nil {
		r.t.Fatalf("chroot %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// read returns a file of the root, or "" when it is not there.
func (r *root) read(path string) string {
	b, _ := os.ReadFile(filepath.Join(r.dir, path))
	return string(b)
}

// logLines returns the lines of a stand-in's log from the n-th on.
func (r *root) logLines(path string, n int) []string {
	lines := strings.Split(strings.TrimSuffix(r.read(path), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		lines = nil
	}
	return lines[min(n, len(lines)):]
}

// files lists the root's paths with their kind (d, f or l), /proc and /dev left out: apk
// mounts them while a script runs.
func (r *root) files() []string {
	r.t.Helper()
	var out []string
	err := filepath.WalkDir(r.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(r.dir, path)
		if d.IsDir() && (rel == "proc" || rel == "dev") {
			return filepath.SkipDir
		}
		kind := "f"
		switch {
		case d.IsDir():
			kind = "d"
		case d.Type()&fs.ModeSymlink != 0:
			kind = "l"
		}
		out = append(out, kind+" /"+filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// listDiff says what b has that a has not, and the reverse.
func listDiff(a, b []string) string {
	var s strings.Builder
	for _, x := range b {
		if !slices.Contains(a, x) {
			s.WriteString("+ " + x + "\n")
		}
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			s.WriteString("- " + x + "\n")
		}
	}
	return s.String()
}

// copyTree copies the stand-ins into a root, keeping their modes.
func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil { //nolint:gosec // a root's directories
			return err
		}
		return os.WriteFile(dst, b, info.Mode().Perm())
	})
}

// mkdir makes a directory of a root, 0755 as a system's are, the last one whatever the umask
// (and whatever t.TempDir made it).
func mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil { //nolint:gosec // a root's directories
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o755); err != nil { //nolint:gosec // a root's directories
		t.Fatal(err)
	}
}

// write writes a file with its mode, whatever the umask.
func write(t *testing.T, path, content string, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// copyFile copies a file with a mode.
func copyFile(t *testing.T, from, to string, mode fs.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	write(t, to, string(b), mode)
}
