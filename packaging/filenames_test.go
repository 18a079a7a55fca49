// The packages' file names, and Clean, which tells this build's files from other versions'
// and flavours' by them.

package packaging

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFileNames holds each format's file names to its convention, with the flavour's suffix
// before the extension.
func TestFileNames(t *testing.T) {
	t.Parallel()
	upx, plain := testBuild(t, true), testBuild(t, false)
	for _, c := range []struct {
		b    Build
		t    Target
		want string
	}{
		{upx, Target{Format: Deb, Arch: "armhf"}, "getsmall_1.2.3+4.gabc1234.dirty_armhf.deb"},
		{plain, Target{Format: Deb, Arch: "armhf"}, "getsmall_1.2.3+4.gabc1234.dirty_armhf-plain.deb"},
		{upx, Target{Format: RPM, Arch: "aarch64"}, "getsmall-1.2.3+4.gabc1234.dirty-1.aarch64.rpm"},
		{plain, Target{Format: RPM, Arch: "aarch64"}, "getsmall-1.2.3+4.gabc1234.dirty-1.aarch64-plain.rpm"},
		{upx, Target{Format: APK, Arch: "armv7"}, "getsmall_1.2.3_p4-r1_armv7.apk"},
		{upx, Target{Format: IPK, Arch: "mipsel_24kc"}, "getsmall_1.2.3+4.gabc1234.dirty_mipsel_24kc.ipk"},
		{upx, Target{Format: APK3, Arch: "x86_64"}, "getsmall_1.2.3_p4-r1_openwrt_x86_64.apk"},
		{plain, Target{Format: APK3, Arch: "mipsel_24kc"}, "getsmall_1.2.3_p4-r1_openwrt_mipsel_24kc-plain.apk"},
		{plain, Target{Format: IPK, Arch: "aarch64_cortex-a53"}, "getsmall_1.2.3+4.gabc1234.dirty_aarch64_cortex-a53-plain.ipk"},
	} {
		if got := c.b.FileName(c.t); got != c.want {
			t.Errorf("FileName(%v, %q) = %q, want %q", c.t, c.b.Suffix, got, c.want)
		}
	}
}

// TestClean keeps the other flavours of this version and drops other versions and this
// flavour's old files, with their SBOMs and signatures.
func TestClean(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := testBuild(t, true)
	files := map[string]bool{ // name -> kept
		"getsmall_1.2.3+4.gabc1234.dirty_amd64.deb":                    false, // this flavour: rewritten
		"getsmall_1.2.3+4.gabc1234.dirty_amd64.deb.cdx.json":           false,
		"getsmall_1.2.3+4.gabc1234.dirty_amd64.deb.sigstore.json":      false,
		"getsmall_1.2.3+4.gabc1234.dirty_aarch64_cortex-a53.ipk":       false,
		"getsmall_1.2.3+4.gabc1234.dirty_amd64-plain.deb":              true, // another flavour
		"getsmall_1.2.3+4.gabc1234.dirty_aarch64_cortex-a53-plain.ipk": true,
		"getsmall-1.2.3+4.gabc1234.dirty-1.x86_64-plain.rpm":           true,
		"getsmall-1.2.3+4.gabc1234.dirty-1.x86_64-plain.rpm.cdx.json":  true,
		"getsmall_1.2.3_p4-r1_x86_64-floppy.apk":                       true,
		"getsmall_1.2.3_p4-r1_openwrt_x86_64.apk":                      false,
		"getsmall_1.2.3_p4-r1_openwrt_x86_64-plain.apk":                true,
		"getsmall_1.2.3_p4-r0_openwrt_x86_64-plain.apk":                false,
		"getsmall_1.2.3_amd64.deb":                                     false, // another version
		"getsmall_1.2.3+4.gabc1234_amd64-plain.deb":                    false,
		"getsmall-1.2.3-1.x86_64.rpm":                                  false,
		"getsmall_1.2.3_p4-r0_x86_64.apk":                              false,
		"getsmall_1.2.3_p4-r0_x86_64.apk.cdx.json":                     false,
		"getsmall_1.2.3+4.gabc1234.dirty.1_amd64.deb":                  false,
		"SHA256SUMS":          true, // not a package
		"notes.txt":           true,
		"other_1.0_amd64.deb": true,
	}
	for name := range files {
		mustWrite(t, filepath.Join(dir, name), "", 0o600)
	}
	// Repositories: another version's goes, this version's of another flavour stays.
	repos := map[string]bool{
		"alpine/x86_64/APKINDEX.tar.gz":                 false,
		"alpine/x86_64/getsmall-1.2.3_p4-r0.apk":        false,
		"openwrt-plain/x86_64/packages.adb":             true,
		"openwrt-plain/x86_64/getsmall-1.2.3_p4-r1.apk": true,
		"notes/x86_64/getsmall-1.2.3_p4-r0.apk":         true, // no index: not a repository
	}
	for name := range repos {
		mustWrite(t, filepath.Join(dir, name), "", 0o600)
		files[name] = repos[name]
	}
	if err := b.Clean(dir); err != nil {
		t.Fatal(err)
	}
	for name, kept := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if exists := err == nil; exists != kept {
			t.Errorf("%s: exists %v after Clean, want %v", name, exists, kept)
		}
	}
	if err := b.Clean(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("Clean of a missing directory: %v", err)
	}
}
