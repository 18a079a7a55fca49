//go:build platforms

// Package platforms runs every platform's binary the way an edge box would: the plain build,
// its UPX pack and the floppy flavour, each executed under qemu-user (Debian's
// qemu-user-static) unless it is this machine's own architecture. Each must answer GET
// /health 200 and another path 404, and exit 0 on SIGTERM. It also holds the floppy promise:
// the packed floppy build of every edge platform fits 1,474,560 bytes, and every binary's
// size budget in budgets.txt. It needs UPX and qemu,
// not Docker, so it is behind the platforms build tag: run it with `make test-platforms`.
package platforms

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/budget"
	"github.com/getsmall/getsmall/internal/testmake"
	"github.com/getsmall/getsmall/test/internal/testbin"
)

const repoRoot = "../.."

// edge are the platforms whose packed floppy build must fit a floppy. amd64 is built and
// reported too, but it is about 250 KB over and only has to be as small as it gets.
var edge = []string{"linux/arm64", "linux/arm/v7", "linux/arm/v6", "linux/mipsle"}

// qemu names the qemu-user binary for each GOARCH, as Debian's qemu-user-static installs them.
var qemu = map[string]string{
	"amd64": "qemu-x86_64-static", "386": "qemu-i386-static", "arm64": "qemu-aarch64-static",
	"arm": "qemu-arm-static", "mips": "qemu-mips-static", "mipsle": "qemu-mipsel-static",
	"mips64": "qemu-mips64-static", "mips64le": "qemu-mips64el-static", "ppc64le": "qemu-ppc64le-static",
	"riscv64": "qemu-riscv64-static", "s390x": "qemu-s390x-static",
}

// binDir holds what TestMain built through the Makefile, both flavours, for the PLATFORMS
// list the Makefile uses (make test-platforms passes its own on).
var (
	binDir    string
	platforms []string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "getsmall-platforms-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := 1
	if platforms, err = makePlatforms(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// build makes every platform's plain and packed binary, then the floppy flavour for the same
// platforms plus the edge ones, with the UPX_FLAGS make test-platforms was given.
func build(dir string) error {
	floppyPlatforms := strings.Join(union(platforms, edge), " ")
	for _, args := range [][]string{
		{"build-upx-all", "BIN_DIR=" + dir},
		{"build-upx-all", "BIN_DIR=" + dir, "FLOPPY=1", "PLATFORMS=" + floppyPlatforms},
	} {
		started := time.Now()
		out, err := testmake.Command(repoRoot, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("make %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		fmt.Printf("make %s: %v\n%s", strings.Join(args, " "), time.Since(started).Round(time.Second), out)
	}
	return nil
}

func makePlatforms() ([]string, error) {
	out, err := testmake.Command(repoRoot, "print-PLATFORMS").Output()
	if err != nil {
		return nil, fmt.Errorf("make print-PLATFORMS: %w", err)
	}
	return strings.Fields(string(out)), nil
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var all []string
	for _, p := range append(append([]string{}, a...), b...) {
		if !seen[p] {
			seen[p] = true
			all = append(all, p)
		}
	}
	return all
}

// suffix is the Makefile's platform-name: linux/arm/v7 -> linux-armv7.
func suffix(platform string) string {
	return strings.ReplaceAll(strings.ReplaceAll(platform, "/v", "v"), "/", "-")
}

// target is the GOOS, GOARCH and GOARM a platform names.
func target(platform string) (goos, goarch, goarm string) {
	parts := strings.Split(platform, "/")
	goos, goarch = parts[0], parts[1]
	if goarch == "arm" && len(parts) == 3 {
		goarm = strings.TrimPrefix(parts[2], "v")
	}
	return goos, goarch, goarm
}

// command returns the command that runs path on this machine: directly for its own
// architecture, under qemu-user otherwise.
func command(t *testing.T, platform, path string, args ...string) *exec.Cmd {
	t.Helper()
	_, goarch, _ := target(platform)
	if goarch == runtime.GOARCH {
		return exec.Command(path, args...)
	}
	name, ok := qemu[goarch]
	if !ok {
		t.Fatalf("%s: no qemu-user binary known for GOARCH=%s", platform, goarch)
	}
	q, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install Debian's qemu-user-static to run %s binaries", name, platform)
	}
	return exec.Command(q, append([]string{path}, args...)...)
}

func TestBuildSettings(t *testing.T) {
	for _, p := range platforms {
		t.Run(p, func(t *testing.T) {
			goos, goarch, goarm := target(p)
			info, err := buildinfo.ReadFile(filepath.Join(binDir, "getsmall-"+suffix(p)))
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"GOOS": goos, "GOARCH": goarch, "CGO_ENABLED": "0", "-trimpath": "true"}
			if goarm != "" {
				want["GOARM"] = goarm
			}
			if goarch == "mips" || goarch == "mipsle" {
				want["GOMIPS"] = "softfloat" // OpenWrt routers mostly have no FPU
			}
			got := map[string]string{}
			for _, s := range info.Settings {
				got[s.Key] = s.Value
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("build setting %s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestChecksums(t *testing.T) {
	f, err := os.Open(filepath.Join(binDir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("malformed SHA256SUMS line %q", sc.Text())
		}
		b, err := os.ReadFile(filepath.Join(binDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: SHA256SUMS says %s, file is %x", name, sum, got)
		}
		listed[name] = true
	}
	for _, p := range platforms {
		for _, flavour := range []string{"getsmall-", "getsmall-upx-", "getsmall-floppy-", "getsmall-floppy-upx-"} {
			if name := flavour + suffix(p); !listed[name] {
				t.Errorf("SHA256SUMS does not list %s", name)
			}
		}
	}
}

func TestFloppyFits(t *testing.T) {
	limit := floppyBytes(t)
	for _, p := range union(edge, []string{"linux/amd64"}) {
		fi, err := os.Stat(filepath.Join(binDir, "getsmall-floppy-upx-"+suffix(p)))
		if err != nil {
			t.Fatal(err)
		}
		size := fi.Size()
		t.Logf("%-13s floppy build, packed: %9d bytes (%+d against the floppy)", p, size, size-limit)
		if slices.Contains(edge, p) && size > limit {
			t.Errorf("%s: the packed floppy build is %d bytes, %d over a floppy's %d", p, size, size-limit, limit)
		}
	}
}

// TestSizeBudgets holds every platform's plain and packed binary to budgets.txt
// (binary-<platform>-bytes, upx-<platform>-bytes). The UPX budgets are for --lzma, which
// --brute matches byte for byte here; other UPX_FLAGS pack larger, and only the plain
// budgets are checked then.
func TestSizeBudgets(t *testing.T) {
	budgets, err := budget.Load(repoRoot + "/budgets.txt")
	if err != nil {
		t.Fatal(err)
	}
	flags := os.Getenv("UPX_FLAGS")
	packedToo := flags == "--lzma" || flags == "--brute"
	if !packedToo {
		t.Logf("UPX_FLAGS=%q: the UPX budgets are for --lzma or --brute; checking the plain ones only", flags)
	}
	for _, p := range platforms {
		checks := map[string]string{"binary-" + suffix(p) + "-bytes": "getsmall-" + suffix(p)}
		if packedToo {
			checks["upx-"+suffix(p)+"-bytes"] = "getsmall-upx-" + suffix(p)
		}
		for name, file := range checks {
			b, err := budgets.Get(name)
			if err != nil {
				t.Error(err)
				continue
			}
			fi, err := os.Stat(filepath.Join(binDir, file))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%-28s %9d bytes (budget %d)", file, fi.Size(), b.Max)
			if err := b.Check(fi.Size()); err != nil {
				t.Error(err)
			}
		}
	}
}

func floppyBytes(t *testing.T) int64 {
	t.Helper()
	out, err := testmake.Command(repoRoot, "print-FLOPPY_BYTES").Output()
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil || n != 1_474_560 {
		t.Fatalf("FLOPPY_BYTES = %q, want the 1,474,560 bytes of a 3.5\" floppy", out)
	}
	return n
}

// TestRun executes every binary: plain, packed and floppy, for every platform.
func TestRun(t *testing.T) {
	for _, p := range platforms {
		for _, flavour := range []string{"getsmall-", "getsmall-upx-", "getsmall-floppy-upx-"} {
			name := flavour + suffix(p)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				serve(t, p, filepath.Join(binDir, name))
			})
		}
	}
}

// serve runs one binary on a free loopback port: /health 200, /nope 404, the version command
// names its platform, SIGTERM exits 0.
func serve(t *testing.T, platform, path string) {
	_, goarch, _ := target(platform)
	out, err := command(t, platform, path, "version").CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte(" linux/"+goarch+"\n")) {
		t.Errorf("version: %v, output %q; want linux/%s", err, out, goarch)
	}

	addr := testbin.FreeAddr(t)
	cmd := command(t, platform, path, "-addr", addr)
	var log bytes.Buffer
	cmd.Stderr = &log
	started := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// Emulated, a packed binary first unpacks itself instruction by instruction: allow 60 s.
	if got := get(t, "http://"+addr+"/health", 60*time.Second, exited); got != http.StatusOK {
		t.Fatalf("GET /health = %d, want 200", got)
	}
	t.Logf("first 200 after %v", time.Since(started).Round(time.Millisecond))
	if got := get(t, "http://"+addr+"/nope", 10*time.Second, exited); got != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", got)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want 0; log:\n%s", err, log.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("still running 20 s after SIGTERM; log:\n%s", log.String())
	}
}

// get returns the status of GET url, retrying until the server answers, it exits, or limit.
func get(t *testing.T, url string, limit time.Duration, exited <-chan error) int {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(limit)
	for {
		resp, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			return resp.StatusCode
		}
		select {
		case err := <-exited:
			t.Fatalf("exited before answering %s: %v", url, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v after %v", url, err, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
