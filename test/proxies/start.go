//go:build proxies

package proxies

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/getsmall/getsmall/test/internal/testbin"
)

// readyWithin bounds a proxy's start: Varnish compiles its VCL with cc first, about 2 s
// here; the others start in milliseconds.
const readyWithin = 30 * time.Second

// workDir makes a directory for one proxy that its unprivileged worker users can read
// (t.TempDir's parent is root's alone), removed when the test ends.
func workDir(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "getsmall-proxies-"+strings.ToLower(name)+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { //nolint:gosec // the proxies' worker users read their configuration here
		t.Fatal(err)
	}
	return dir
}

// versionOf is the first line p prints about its version.
func versionOf(t *testing.T, p proxy, path string) string {
	t.Helper()
	out, err := exec.Command(path, p.version...).CombinedOutput() //nolint:gosec // the proxy's own binary
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", path, strings.Join(p.version, " "), err, out)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// start configures p in a directory of its own to listen on a loopback port and forward to
// backend, starts it in the foreground in a process group of its own, waits until a GET
// /health through it is answered 200, and returns its address. The whole group is killed
// when the test ends, whatever happened.
func start(t *testing.T, p proxy, backend string) string {
	t.Helper()
	path, err := p.path()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s", p.name, versionOf(t, p, path))
	dir, listen := workDir(t, p.name), testbin.FreeAddr(t)
	args, err := p.config(dir, listen, backend, os.Geteuid() == 0)
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "out.log")
	logFile, err := os.Create(logPath) //nolint:gosec // in the test's own directory
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(path, args...) //nolint:gosec // the proxy's own binary and the test's configuration
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // nginx and Varnish fork workers
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	logs := func() string {
		b, _ := os.ReadFile(logPath) //nolint:gosec // in the test's own directory
		e, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		return string(bytes.TrimSpace(append(b, e...)))
	}
	deadline := time.Now().Add(readyWithin)
	for {
		r := exchange(listen, get, false)
		if r.ok() {
			return listen
		}
		select {
		case <-exited:
			t.Fatalf("%s exited before it answered (%s):\n%s", p.name, cmd.ProcessState, logs())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer GET /health with 200 within %v (last: %s):\n%s", p.name, readyWithin, r, logs())
		}
	}
}
