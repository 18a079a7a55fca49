// make packages with an apk key: the apk packages and the repositories' indexes verify with
// its public key and fail with a byte changed, and two builds give the same bytes.

package packaging

import (
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAPKSigned builds the apk packages of one platform with a throwaway apk key, twice, and
// has apk-tools verify every package and index (make test-packages-apk installs them).
func TestAPKSigned(t *testing.T) {
	if testing.Short() {
		t.Skip("builds packages and signs them with apk-tools (make test-packages)")
	}
	apk := (&pkgCheck{t: t}).apkTools()
	keys := t.TempDir()
	key := filepath.Join(keys, "ci.rsa")
	makeRun(t, "", "apk-key", "APK_KEY="+key)
	args := []string{"packages", "APK_KEY=" + key, "PLATFORMS=linux/arm64", "PACKAGE_FORMATS=apk apk3", "PACKAGE_SBOM=0", "UPX_FLAGS=--lzma"}
	first, second := t.TempDir(), t.TempDir()
	out := makeRun(t, "", append(args, "DIST_DIR="+first)...)
	if !strings.Contains(out, "/openwrt/aarch64_cortex-a53: a signed repository") || !strings.Contains(out, "/alpine/aarch64: a signed repository") {
		t.Errorf("make packages with APK_KEY wrote no repositories:\n%s", out)
	}
	time.Sleep(1100 * time.Millisecond) // a clock that moved shows in any time taken from it
	makeRun(t, "077", append(args, "DIST_DIR="+second)...)

	dir := filepath.Join(first, "packages")
	var signed []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if mustRead(t, path) != mustRead(t, filepath.Join(second, "packages", rel)) {
			t.Errorf("%s: different bytes in the second build", rel)
		}
		if strings.HasSuffix(path, ".apk") || strings.HasSuffix(path, ".adb") || strings.HasSuffix(path, ".tar.gz") {
			signed = append(signed, path)
		}
		return nil
	})
	if err != nil || len(signed) != 4+2*4 { // 4 packages; per repository, an index and the package
		t.Fatalf("%v; %d signed files: %q", err, len(signed), signed)
	}
	verify := func(path string) error {
		return exec.Command(apk, "--keys-dir", keys, "verify", path).Run()
	}
	for _, f := range signed {
		if err := verify(f); err != nil {
			t.Errorf("apk verify %s: %v", f, err)
		}
	}
	// A changed byte, and the same files before another key, fail.
	for _, f := range []string{signed[0], filepath.Join(dir, "alpine/aarch64/APKINDEX.tar.gz"), filepath.Join(dir, "openwrt/aarch64_generic/packages.adb")} {
		b := []byte(mustRead(t, f))
		b[len(b)/2] ^= 1
		mustWrite(t, f+".changed", string(b), 0o644)
		if verify(f+".changed") == nil {
			t.Errorf("%s verifies with a byte changed", f)
		}
	}
	// Another key of the same name, as Alpine's apk finds a key by its name.
	other := t.TempDir()
	makeRun(t, "", "apk-key", "APK_KEY="+filepath.Join(other, "ci.rsa"))
	for _, f := range signed {
		if err := exec.Command(apk, "--keys-dir", other, "verify", f).Run(); err == nil {
			t.Errorf("%s verifies with another key", f)
		}
	}
}
