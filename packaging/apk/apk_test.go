//go:build apktools

// The builds the roots install from: a version and a newer one, signed, through make
// packages as a user makes them, and the older one again without a key.

package apk

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/testmake"
	"github.com/getsmall/getsmall/packaging"
)

const repoRoot = "../.."

// release is one make packages run: its version and where its packages are.
type release struct {
	describe string // VERSION
	date     string // BUILD_DATE
	dir      string // its package directory
	build    packaging.Build
}

// The version installed first and the one it is upgraded to.
var (
	older = release{describe: "v1.0.0", date: "2026-12-01T00:00:00Z"}
	newer = release{describe: "v1.0.1", date: "2026-12-02T00:00:00Z"}
)

// setup is what every system's test shares: apk, the busyboxes, the key and the builds.
type setup struct {
	apk             string
	busybox         map[string]string // by Debian architecture
	pub, keyName    string
	older, newer    release
	unsigned        release // older, built without a key
	license, binDir string
}

// need returns an environment variable make test-packages-apk sets, or fails the test.
func need(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run make test-packages-apk", name)
	}
	return v
}

// newSetup checks what the test needs, makes a key and builds the releases.
func newSetup(t *testing.T) *setup {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("apk runs the packages' scripts chrooted in the roots: run make test-packages-apk as root")
	}
	if runtime.GOARCH != "amd64" {
		t.Fatalf("the x86_64 roots run natively and the aarch64 one through qemu-user: this host is %s, not amd64", runtime.GOARCH)
	}
	// The aarch64 root's busybox runs, chrooted, through the emulator the kernel opened at
	// registration (binfmt_misc's F flag): nothing of qemu needs to be in the root.
	reg, err := os.ReadFile("/proc/sys/fs/binfmt_misc/qemu-aarch64")
	if err != nil || !strings.HasPrefix(string(reg), "enabled") || !strings.Contains(string(reg), "flags: ") ||
		!strings.Contains(strings.SplitN(strings.SplitN(string(reg), "flags: ", 2)[1], "\n", 2)[0], "F") {
		t.Fatalf("qemu-aarch64 is not registered with binfmt_misc with the F flag (%v): apt-get install qemu-user-static binfmt-support && update-binfmts --enable qemu-aarch64", err)
	}
	s := &setup{
		apk:     need(t, "APK_TOOLS"),
		busybox: map[string]string{"amd64": need(t, "BUSYBOX_AMD64"), "arm64": need(t, "BUSYBOX_ARM64")},
		binDir:  need(t, "APK_TEST_BIN"),
	}
	keys := t.TempDir()
	key := filepath.Join(keys, "getsmall-test.rsa")
	makeRun(t, "apk-key", "APK_KEY="+key)
	s.pub, s.keyName = read(t, key+".pub"), filepath.Base(key)+".pub"
	s.license = read(t, filepath.Join(repoRoot, "LICENSE"))
	s.older = s.build(t, older, key)
	s.newer = s.build(t, newer, key)
	s.unsigned = s.build(t, older, "")
	return s
}

// build runs make packages for a release, Alpine's and OpenWrt's packages of the two
// platforms the roots run, signed with key when it is set. The plain flavour: apk handles
// the UPX-packed one's packages alike (make test-packages holds both to the same files),
// and packing four binaries at every run would cost CI half a minute.
func (s *setup) build(t *testing.T, r release, key string) release {
	t.Helper()
	dist := t.TempDir()
	args := []string{"packages", "VERSION=" + r.describe, "BUILD_DATE=" + r.date, "PLATFORMS=linux/amd64 linux/arm64",
		"PACKAGE_FORMATS=apk apk3", "PACKAGE_BINARY=plain", "PACKAGE_SBOM=0", "DIST_DIR=" + dist, "BIN_DIR=" + filepath.Join(s.binDir, r.describe)}
	if key != "" {
		args = append(args, "APK_KEY="+key)
	}
	out := makeRun(t, args...)
	if key == "" && !strings.Contains(out, "packages: no apk repositories, and the apk packages are not signed") {
		t.Errorf("make packages without APK_KEY did not say so:\n%s", out)
	}
	v, err := packaging.ParseVersion(r.describe, r.date)
	if err != nil {
		t.Fatal(err)
	}
	date, err := time.Parse(time.RFC3339, r.date)
	if err != nil {
		t.Fatal(err)
	}
	r.dir = filepath.Join(dist, "packages")
	r.build = packaging.Build{
		Meta:    packaging.Meta{Name: "getsmall", LicenseText: s.license},
		Version: v, Date: date, Flavor: "plain", Suffix: "-plain",
	}
	return r
}

// pkg is the path of a release's package for a format and architecture.
func (r release) pkg(f packaging.Format, arch string) string {
	return filepath.Join(r.dir, r.build.FileName(packaging.Target{Format: f, Arch: arch}))
}

// repo is a release's repository directory for a format and architecture.
func (r release) repo(f packaging.Format, arch string) string {
	return filepath.Join(packaging.RepoDir(r.dir, f, r.build.Suffix), arch)
}

// version is the package version apk shows for the release.
func (r release) version() string {
	_, _, full := r.build.Version.For(packaging.APK)
	return full
}

// makeRun runs make in the repository root and fails the test if it fails.
func makeRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := testmake.Command(repoRoot, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// read returns a file's content, or fails the test.
func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAPK installs, upgrades and removes the packages on each system in turn.
func TestAPK(t *testing.T) {
	if _, err := exec.LookPath("chroot"); err != nil {
		t.Fatal("chroot not found (coreutils)")
	}
	s := newSetup(t)
	for _, sys := range []system{
		{distro: "alpine", arch: "x86_64", goarch: "amd64", foreign: "aarch64"},
		{distro: "openwrt", arch: "x86_64", goarch: "amd64", foreign: "aarch64_generic"},
		{distro: "openwrt", arch: "aarch64_generic", goarch: "arm64", foreign: "x86_64"},
	} {
		t.Run(sys.distro+"-"+sys.arch, func(t *testing.T) { s.lifecycle(t, sys) })
	}
}
