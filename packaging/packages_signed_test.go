// make packages with a signer: every package and SHA256SUMS get a cosign bundle that
// verifies with the public key, and a changed package does not.

package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPackagesSigned signs the packages of one platform with a throwaway key, as make dist
// signs the release files and make docker-push the images, and verifies them with cosign.
// It needs tools/ (cosign): make test-packages builds it first.
func TestPackagesSigned(t *testing.T) {
	if testing.Short() {
		t.Skip("builds packages and signs them with cosign (make test-packages)")
	}
	if _, err := os.Stat("../tools/tools.mk"); err != nil {
		t.Fatal("signing needs tools/ (cosign); without it make packages only says it did not sign")
	}
	keys := t.TempDir()
	makeRun(t, "", "keys", "KEY_PREFIX="+filepath.Join(keys, "ci"))
	key, pub := filepath.Join(keys, "ci.key"), filepath.Join(keys, "ci.pub")
	dist := t.TempDir()
	out := makeRun(t, "", "packages", "DIST_DIR="+dist, "COSIGN_KEY="+key, "PLATFORMS=linux/arm64",
		"PACKAGE_FORMATS=deb ipk", "PACKAGE_SBOM=0", "UPX_FLAGS=--lzma")
	if !strings.Contains(out, "packages: signed every package and SHA256SUMS") {
		t.Errorf("make packages with COSIGN_KEY did not say it signed:\n%s", out)
	}
	cosign := makeVar(t, "COSIGN")
	dir := filepath.Join(dist, "packages")
	files, _ := filepath.Glob(filepath.Join(dir, "*.deb"))
	ipks, _ := filepath.Glob(filepath.Join(dir, "*.ipk"))
	files = append(append(files, ipks...), filepath.Join(dir, "SHA256SUMS"))
	if len(files) < 3 {
		t.Fatalf("want packages and SHA256SUMS, got %v", files)
	}
	verify := func(f string) error {
		return exec.Command(cosign, "verify-blob", "--key", pub, "--insecure-ignore-tlog=true", "--bundle", f+".sigstore.json", f).Run()
	}
	for _, f := range files {
		if err := verify(f); err != nil {
			t.Errorf("%s: cosign verify-blob: %v", filepath.Base(f), err)
		}
	}
	// One byte more, and the signature no longer holds.
	changed, err := os.OpenFile(files[0], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = changed.Write([]byte{0})
	if cerr := changed.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	if verify(files[0]) == nil {
		t.Errorf("%s verifies after a change", filepath.Base(files[0]))
	}
}
