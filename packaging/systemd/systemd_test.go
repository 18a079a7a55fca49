//go:build systemd

// Package systemd installs the .deb into Debian bookworm running systemd as PID 1, in a
// container (rootfs.sh builds it with debootstrap), and drives it as an operator would:
// dpkg -i, the service answering, systemctl stop after a drain, socket activation, an
// upgrade that keeps an edited /etc/default file, and a purge that leaves nothing. amd64 runs
// natively, arm64 through qemu-user. It needs root, Docker and debootstrap: run it with
// `make test-packages-systemd`.
package systemd

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/testmake"
)

const repoRoot = "../.."

func docker() string {
	if d := os.Getenv("DOCKER"); d != "" {
		return d
	}
	return "docker"
}

// machine is one running container with systemd as PID 1.
type machine struct {
	t    *testing.T
	name string
}

// boot starts image's systemd and waits until it is running; a unit the container cannot
// start (qemu-user lacks a few system calls) leaves it degraded, which is fine.
func boot(t *testing.T, image, name string) *machine {
	t.Helper()
	_ = exec.Command(docker(), "rm", "-f", name).Run()
	args := []string{"run", "-d", "--name", name, "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
		"--security-opt", "apparmor=unconfined", "--network", "none", "--tmpfs", "/run", "--tmpfs", "/run/lock",
		"-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", image, "/lib/systemd/systemd"}
	if out, err := exec.Command(docker(), args...).CombinedOutput(); err != nil { //nolint:gosec // the DOCKER make gave the test
		t.Fatalf("docker run %s: %v\n%s", image, err, out)
	}
	m := &machine{t: t, name: name}
	t.Cleanup(func() { _ = exec.Command(docker(), "rm", "-f", name).Run() })
	for range 120 {
		state, _ := m.try("systemctl", "is-system-running")
		if state == "running" || state == "degraded" {
			return m
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("%s: systemd did not come up", name)
	return nil
}

// try runs a command in the machine and returns its trimmed output and error.
func (m *machine) try(args ...string) (string, error) {
	out, err := exec.Command(docker(), append([]string{"exec", m.name}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// must runs a command in the machine and fails the test if it fails.
func (m *machine) must(args ...string) string {
	m.t.Helper()
	out, err := m.try(args...)
	if err != nil {
		m.t.Fatalf("%s: %s: %v\n%s", m.name, strings.Join(args, " "), err, out)
	}
	return out
}

// install copies a package in and installs it with dpkg.
func (m *machine) install(deb string) {
	m.t.Helper()
	if out, err := exec.Command(docker(), "cp", deb, m.name+":/tmp/"+filepath.Base(deb)).CombinedOutput(); err != nil {
		m.t.Fatalf("docker cp: %v\n%s", err, out)
	}
	m.must("dpkg", "-i", "/tmp/"+filepath.Base(deb))
}

// health asks /health in the machine, a few times while a service starts.
func (m *machine) health() string {
	var out string
	for range 40 {
		out, _ = m.try("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", "http://127.0.0.1:8080/health")
		if out == "200" {
			return out
		}
		time.Sleep(250 * time.Millisecond)
	}
	return out
}

// packages builds the .deb for platform at version into a new directory and returns it.
func packages(t *testing.T, platform, version string) string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"packages", "DIST_DIR=" + dir, "VERSION=" + version, "PLATFORMS=" + platform, "PACKAGE_FORMATS=deb", "PACKAGE_SBOM=0", "UPX_FLAGS=--lzma"}
	if out, err := testmake.Command(repoRoot, args...).CombinedOutput(); err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(dir, "packages", "*.deb"))
	if len(debs) != 1 {
		t.Fatalf("make packages for %s: want one .deb, got %v", platform, debs)
	}
	return debs[0]
}

// TestDebian runs the whole life of the package on each architecture.
func TestDebian(t *testing.T) {
	image := os.Getenv("SYSTEMD_IMAGE")
	if image == "" {
		t.Fatal("SYSTEMD_IMAGE is not set: run make test-packages-systemd")
	}
	for _, tc := range []struct{ platform, arch string }{{"linux/amd64", "amd64"}, {"linux/arm64", "arm64"}} {
		t.Run(tc.platform, func(t *testing.T) {
			first := packages(t, tc.platform, "1.0.0")
			second := packages(t, tc.platform, "1.0.1")
			m := boot(t, image+":"+tc.arch, "getsmall-systemd-"+tc.arch)
			lifecycle(t, m, first, second)
		})
	}
}

func lifecycle(t *testing.T, m *machine, first, second string) {
	// Install: Debian's convention is to enable and start a packaged service.
	m.install(first)
	if got := m.must("systemctl", "is-enabled", "getsmall.service"); got != "enabled" {
		t.Errorf("after dpkg -i: getsmall.service is %q, want enabled", got)
	}
	if got := m.health(); got != "200" {
		t.Fatalf("after dpkg -i: /health %q, want 200\n%s", got, m.must("journalctl", "-u", "getsmall", "--no-pager"))
	}
	if got, _ := m.try("systemctl", "is-enabled", "getsmall.socket"); got == "enabled" {
		t.Errorf("getsmall.socket is enabled by the package: it must be off by default")
	}
	t.Logf("started: %s", lastLine(m.must("journalctl", "-u", "getsmall", "--no-pager", "-o", "cat")))

	// The hardening, as systemd scores it.
	score := m.must("systemd-analyze", "security", "getsmall.service", "--no-pager")
	t.Logf("systemd-analyze security: %s", lastLine(score))
	if m := regexp.MustCompile(`Overall exposure level for getsmall.service: ([0-9.]+) (\S+)`).FindStringSubmatch(score); m == nil {
		t.Errorf("no exposure level in:\n%s", score)
	} else if v, _ := strconv.ParseFloat(m[1], 64); v > 2.0 {
		t.Errorf("exposure %s %s: want 2.0 or less, the best bands", m[1], m[2])
	}

	// Stop: SIGTERM, the drain, exit 0.
	m.must("systemctl", "stop", "getsmall.service")
	if got := m.must("systemctl", "show", "-p", "ExecMainStatus", "--value", "getsmall.service"); got != "0" {
		t.Errorf("after systemctl stop: exit status %q, want 0", got)
	}
	if log := m.must("journalctl", "-u", "getsmall", "--no-pager", "-o", "cat"); !strings.Contains(log, "stopped cleanly") {
		t.Errorf("after systemctl stop: no clean shutdown in the log:\n%s", log)
	}

	// Socket activation: systemd holds the port; the first connection starts the service.
	m.must("systemctl", "enable", "--now", "getsmall.socket")
	if got, _ := m.try("systemctl", "is-active", "getsmall.service"); got == "active" {
		t.Errorf("with the socket enabled, the service runs before any connection")
	}
	if got := m.health(); got != "200" {
		t.Errorf("through the socket: /health %q, want 200", got)
	}
	if got := m.must("systemctl", "is-active", "getsmall.service"); got != "active" {
		t.Errorf("after the first connection: service %q, want active", got)
	}
	m.must("systemctl", "disable", "--now", "getsmall.socket", "getsmall.service")

	// Upgrade: an edited settings file survives; the service comes back.
	m.must("sh", "-c", "echo MAX_CONNS=77 >>/etc/default/getsmall")
	m.must("systemctl", "start", "getsmall.service")
	m.install(second)
	if got := m.must("cat", "/etc/default/getsmall"); !strings.Contains(got, "MAX_CONNS=77") {
		t.Errorf("after the upgrade, /etc/default/getsmall lost the edit:\n%s", got)
	}
	if got := m.health(); got != "200" {
		t.Errorf("after the upgrade: /health %q, want 200", got)
	}
	if got := m.must("dpkg-query", "-W", "-f", "${Version}", "getsmall"); got != "1.0.1" {
		t.Errorf("after the upgrade: version %q, want 1.0.1", got)
	}
	if log := m.must("journalctl", "-u", "getsmall", "--no-pager", "-o", "cat"); !strings.Contains(log, "max-conns 77 (set)") {
		t.Errorf("after the upgrade: the server did not read MAX_CONNS from /etc/default/getsmall:\n%s", log)
	}

	// Purge: no file, unit, link or user left.
	m.must("dpkg", "--purge", "getsmall")
	for _, check := range []string{
		"ls /etc/default/getsmall /lib/systemd/system/getsmall.service /lib/systemd/system/getsmall.socket /usr/bin/getsmall 2>/dev/null",
		"find /etc/systemd /run/systemd/system -name 'getsmall*' 2>/dev/null",
		"getent passwd getsmall",
		"dpkg -l getsmall 2>/dev/null | grep -v '^un' | grep getsmall",
		"systemctl list-unit-files 'getsmall*' --no-legend",
	} {
		if out, _ := m.try("sh", "-c", check); out != "" {
			t.Errorf("after dpkg --purge, %q finds:\n%s", check, out)
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
