// make packages end to end: two builds give the same bytes, SHA256SUMS lists them, and
// each package is handed to its format's checks (packages_*_test.go).

package packaging

import (
	"cmp"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/testmake"
)

// TestPackages builds real packages through make packages, as a user does, and looks
// inside each one with the distributions' own tools where Debian has them (dpkg-deb, rpm)
// and by reading the archives here where it does not (apk, ipk). It needs no root, except
// for the rpm installation into a scratch root, which runs when it has it.

// makeRun runs make in the repository root with args; umask, when set, applies to make.
func makeRun(t *testing.T, umask string, args ...string) string {
	t.Helper()
	cmd := testmake.Command("..", args...)
	if umask != "" {
		base := cmd
		cmd = exec.Command("sh", append([]string{"-c", "umask " + umask + " && exec \"$@\"", "sh"}, base.Args...)...) //nolint:gosec // the test's own command
		cmd.Env = base.Env
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// makeVar returns a make variable's value, as make print-NAME prints it.
func makeVar(t *testing.T, name string) string {
	t.Helper()
	return strings.TrimSpace(makeRun(t, "", "print-"+name))
}

// built is what one make packages run wrote, and what it was made from.
type built struct {
	dir       string // the packages
	version   Version
	describe  string
	date      time.Time
	platforms []string
	binDir    string
	sboms     bool
}

// needTools fails the test, naming the package to install, when a tool is missing.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			pkg := map[string]string{"dpkg-deb": "dpkg", "upx": "upx-ucl (bookworm-backports)"}[tool]
			t.Fatalf("%s not found: make test-packages needs it (apt-get install %s)", tool, cmp.Or(pkg, tool))
		}
	}
}

// TestPackages builds every package twice, the second time a second later and under
// another umask, and wants the same bytes; then the plain flavour beside them; then it
// checks each package.
func TestPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every platform's binaries and packages (make test-packages)")
	}
	needTools(t, "make", "dpkg-deb", "rpm", "shellcheck", "upx")
	upxFlags := cmp.Or(os.Getenv("UPX_FLAGS"), "--lzma")
	common := []string{"UPX_FLAGS=" + upxFlags}
	if p := os.Getenv("PLATFORMS"); p != "" {
		common = append(common, "PLATFORMS="+p)
	}
	b := built{describe: makeVar(t, "VERSION"), binDir: makeVar(t, "BIN_DIR")}
	if !filepath.IsAbs(b.binDir) {
		b.binDir = filepath.Join("..", b.binDir)
	}
	date := makeVar(t, "BUILD_DATE")
	var err error
	if b.version, err = ParseVersion(b.describe, date); err != nil {
		t.Fatal(err)
	}
	if b.date, err = time.Parse(time.RFC3339, date); err != nil {
		t.Fatal(err)
	}
	b.platforms = strings.Fields(cmp.Or(os.Getenv("PLATFORMS"), makeVar(t, "PLATFORMS")))
	_, statErr := os.Stat("../tools/tools.mk")
	b.sboms = statErr == nil

	first, second := t.TempDir(), t.TempDir()
	out := makeRun(t, "", append([]string{"packages", "DIST_DIR=" + first}, common...)...)
	_, skips := Plan(b.platforms, Formats)
	for _, s := range skips {
		if !strings.Contains(out, "packages: "+s.String()+"\n") {
			t.Errorf("make packages did not say %q:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "packages: not signed") {
		t.Errorf("make packages without a signer did not say so:\n%s", out)
	}
	time.Sleep(1100 * time.Millisecond) // a clock that moved shows in any time taken from it
	makeRun(t, "077", append([]string{"packages", "DIST_DIR=" + second}, common...)...)
	b.dir = filepath.Join(first, "packages")
	t.Run("reproducible", func(t *testing.T) { sameTrees(t, b.dir, filepath.Join(second, "packages")) })

	plainOut := makeRun(t, "", append([]string{"packages", "PACKAGE_BINARY=plain", "DIST_DIR=" + first}, common...)...)
	if !strings.Contains(plainOut, "(plain)") {
		t.Errorf("make packages PACKAGE_BINARY=plain:\n%s", plainOut)
	}
	t.Run("sums", func(t *testing.T) { checkSums(t, b) })
	for _, packed := range []bool{true, false} {
		bb := b
		build := Build{Meta: Meta{Name: makeVar(t, "NAME_BASE")}, Version: b.version, Suffix: map[bool]string{true: "", false: "-plain"}[packed]}
		targets, _ := Plan(b.platforms, Formats)
		for _, tg := range targets {
			name := build.FileName(tg)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				pkg := filepath.Join(bb.dir, name)
				bin := filepath.Join(bb.binDir, build.Name+map[bool]string{true: "-upx", false: ""}[packed]+"-"+PlatformName(tg.Platform))
				c := pkgCheck{t: t, b: bb, build: build, target: tg, pkg: pkg, bin: bin, packed: packed}
				switch tg.Format {
				case Deb:
					c.deb()
				case RPM:
					c.rpm()
				case APK:
					c.apk()
				case IPK:
					c.ipk()
				case APK3:
					c.apk3()
				}
				c.sbom()
			})
		}
	}
}

// sameTrees wants directories a and b to hold the same files with the same bytes.
func sameTrees(t *testing.T, a, b string) {
	t.Helper()
	ea, err := os.ReadDir(a)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := os.ReadDir(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ea) != len(eb) || len(ea) == 0 {
		t.Fatalf("%d files, then %d", len(ea), len(eb))
	}
	for i := range ea {
		if ea[i].Name() != eb[i].Name() {
			t.Fatalf("file %d: %s, then %s", i, ea[i].Name(), eb[i].Name())
		}
		x, y := mustRead(t, filepath.Join(a, ea[i].Name())), mustRead(t, filepath.Join(b, eb[i].Name()))
		if x != y {
			t.Errorf("%s: different bytes in the second build", ea[i].Name())
		}
	}
}

// checkSums checks SHA256SUMS against the files, and that it lists every package and SBOM.
func checkSums(t *testing.T, b built) {
	t.Helper()
	cmd := exec.Command("sha256sum", "--strict", "-c", "SHA256SUMS")
	cmd.Dir = b.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, out)
	}
	listed := map[string]bool{}
	for l := range strings.Lines(mustRead(t, filepath.Join(b.dir, "SHA256SUMS"))) {
		f := strings.Fields(l)
		listed[f[len(f)-1]] = true
	}
	entries, _ := os.ReadDir(b.dir)
	for _, e := range entries {
		if e.Name() != "SHA256SUMS" && !listed[e.Name()] {
			t.Errorf("%s is not in SHA256SUMS", e.Name())
		}
	}
}
