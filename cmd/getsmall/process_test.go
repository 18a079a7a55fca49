package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/testmake"
)

func TestServesOverTCP(t *testing.T) {
	t.Parallel()
	// IPv4 through the flag, IPv6 through the environment.
	for name, env := range map[string][]string{"IPv4 flag": nil, "IPv6 ADDR": {"ADDR=[::1]:0"}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args := []string{"-addr", "127.0.0.1:0"}
			if env != nil {
				args = nil
			}
			p := start(t, env, args...)
			base := "http://" + p.addr

			tests := []struct {
				method, path string
				status       int
				body         string
				header       map[string]string
			}{
				{"GET", "/health", 200, `{"status":"ok"}`, map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"}},
				{"GET", "/health?x=1", 200, `{"status":"ok"}`, nil},
				{"HEAD", "/health", 200, "", map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store", "Content-Length": "15"}},
				{"GET", "/health/", 404, "404 not found\n", nil},
				{"GET", "/HEALTH", 404, "404 not found\n", nil},
				{"GET", "/nope", 404, "404 not found\n", nil},
				{"POST", "/health", 405, "405 method not allowed\n", map[string]string{"Allow": "GET, HEAD"}},
				{"OPTIONS", "/health", 405, "405 method not allowed\n", map[string]string{"Allow": "GET, HEAD"}},
			}
			for _, tc := range tests {
				status, header, body := do(t, tc.method, base+tc.path)
				if status != tc.status || body != tc.body {
					t.Errorf("%s %s = %d %q, want %d %q", tc.method, tc.path, status, body, tc.status, tc.body)
				}
				for k, v := range tc.header {
					if got := header.Get(k); got != v {
						t.Errorf("%s %s: %s = %q, want %q", tc.method, tc.path, k, got, v)
					}
				}
				for _, k := range []string{"Server", "Location"} {
					if v, ok := header[k]; ok {
						t.Errorf("%s %s: %s = %q, want none", tc.method, tc.path, k, v)
					}
				}
			}
			if got := p.log(); len(got) != 1 {
				t.Errorf("log after serving requests: %q, want only the start-up line", got)
			}
			p.signal(t, syscall.SIGTERM)
			if code, _ := p.wait(t); code != 0 {
				t.Errorf("exit %d after SIGTERM, want 0", code)
			}
		})
	}
}

func TestHealthcheckCommand(t *testing.T) {
	t.Parallel()
	p := start(t, nil, "-addr", "127.0.0.1:0")
	_, port, _ := strings.Cut(p.addr, ":")

	code, out, _ := runExit(t, []string{"PORT=" + port}, "healthcheck")
	if code != 0 || !strings.HasPrefix(out, "healthy: ") {
		t.Errorf("healthcheck against a live server: exit %d, stdout %q", code, out)
	}

	p.signal(t, syscall.SIGTERM)
	p.wait(t)
	code, _, errOut := runExit(t, nil, "healthcheck", "-addr", p.addr)
	if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "connection refused") {
		t.Errorf("healthcheck against a dead server: exit %d, stderr %q", code, errOut)
	}
}

func TestSIGTERMWithIdleKeepAlive(t *testing.T) {
	t.Parallel()
	p := start(t, nil, "-addr", "127.0.0.1:0") // idle timeout 75 s: only shutdown closes it
	c := dial(t, p.addr)
	if _, err := io.WriteString(c, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	if n, err := c.Read(buf); err != nil || !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 200") {
		t.Fatalf("first response %q, %v", buf[:n], err)
	}

	sent := p.signal(t, syscall.SIGTERM)
	code, ended := p.wait(t)
	if code != 0 {
		t.Errorf("exit %d, want 0; log %q", code, p.log())
	}
	took := ended.Sub(sent)
	t.Logf("SIGTERM to exit with an idle keep-alive connection: %v", took)
	if took > 500*time.Millisecond {
		t.Errorf("exit took %v with an idle keep-alive connection, want under 0.5 s", took)
	}
	log := p.log()
	if len(log) != 3 || !strings.Contains(log[1], "stopped accepting") || log[2] != "getsmall: stopped cleanly" {
		t.Errorf("log %q, want start-up, stopping and stopped lines", log)
	}
}

func TestSIGTERMWithSilentConnection(t *testing.T) {
	t.Parallel()
	const readTimeout = time.Second
	p := start(t, nil, "-addr", "127.0.0.1:0", "-read-timeout", readTimeout.String())
	dial(t, p.addr) // connects and sends nothing

	time.Sleep(50 * time.Millisecond) // let the server accept it
	sent := p.signal(t, syscall.SIGTERM)
	code, ended := p.wait(t)
	if code != 0 {
		t.Errorf("exit %d, want 0; log %q", code, p.log())
	}
	took := ended.Sub(sent)
	t.Logf("SIGTERM to exit with a silent connection and a %v read timeout: %v", readTimeout, took)
	if took > readTimeout+500*time.Millisecond {
		t.Errorf("exit took %v with a silent connection, want under read timeout + 0.5 s", took)
	}
}

func TestShutdownTimeoutExitsOne(t *testing.T) {
	t.Parallel()
	p := start(t, nil, "-addr", "127.0.0.1:0", "-read-timeout", "5s", "-shutdown-timeout", "200ms")
	c := dial(t, p.addr)
	if _, err := io.WriteString(c, "GET /health HTTP/1.1\r\nHo"); err != nil { // half a request
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)

	sent := p.signal(t, syscall.SIGTERM)
	code, ended := p.wait(t)
	log := p.log()
	if code != 1 || !strings.Contains(log[len(log)-1], "shutdown timeout passed") {
		t.Errorf("exit %d, log %q; want 1 and a shutdown timeout message", code, log)
	}
	if took := ended.Sub(sent); took > 4*time.Second {
		t.Errorf("exit took %v: the shutdown timeout did not bound it", took)
	}
}

func TestSecondSignalExitsAtOnce(t *testing.T) {
	t.Parallel()
	p := start(t, nil, "-addr", "127.0.0.1:0", "-shutdown-delay", "1m")
	p.signal(t, syscall.SIGTERM)
	waitForLog(t, p, "draining for 1m0s")
	p.signal(t, syscall.SIGINT)
	code, _ := p.wait(t)
	log := p.log()
	if code != 1 || !strings.Contains(log[len(log)-1], "exiting now") {
		t.Errorf("exit %d, log %q; want 1 and 'exiting now'", code, log)
	}
}

func TestDrainDelay(t *testing.T) {
	t.Parallel()
	p := start(t, nil, "-addr", "127.0.0.1:0", "-shutdown-delay", "700ms")
	p.signal(t, syscall.SIGTERM)
	waitForLog(t, p, "draining for 700ms")
	status, _, body := do(t, "GET", "http://"+p.addr+"/health")
	if status != http.StatusServiceUnavailable || body != `{"status":"draining"}` {
		t.Errorf("GET /health while draining = %d %q", status, body)
	}
	if code, _ := p.wait(t); code != 0 {
		t.Errorf("exit %d after the drain delay, want 0; log %q", code, p.log())
	}
}

func TestBadInputExitsTwo(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		env  []string
		args []string
		want string
	}{
		"bad duration flag": {args: []string{"-read-timeout", "fast"}, want: `getsmall: invalid value "fast" for flag -read-timeout: not a duration`},
		"zero timeout flag": {args: []string{"-shutdown-timeout", "0"}, want: `getsmall: invalid value "0" for flag -shutdown-timeout: must be greater than zero`},
		"bad env duration":  {env: []string{"WRITE_TIMEOUT=2"}, want: `getsmall: invalid value "2" for environment variable WRITE_TIMEOUT: not a duration`},
		"bad PORT":          {env: []string{"PORT=eighty"}, want: `getsmall: invalid value "eighty" for environment variable PORT`},
		"bad ADDR":          {env: []string{"ADDR=localhost"}, want: `getsmall: invalid value "localhost" for environment variable ADDR`},
		"bad max-conns":     {args: []string{"-max-conns=-1"}, want: `getsmall: invalid value "-1" for flag -max-conns`},
		"unknown flag":      {args: []string{"-port", "80"}, want: `getsmall: flag provided but not defined: -port`},
		"bad METRICS_ADDR":  {env: []string{"METRICS_ADDR=9090"}, want: `getsmall: invalid value "9090" for environment variable METRICS_ADDR: want host:port`},
		"bad LOG_REQUESTS":  {env: []string{"LOG_REQUESTS=yes"}, want: `getsmall: invalid value "yes" for environment variable LOG_REQUESTS: want 1, 0, true or false`},
		"unknown command":   {args: []string{"status"}, want: `getsmall: unexpected argument "status"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runExit(t, tc.env, tc.args...)
			if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and one line starting %q", code, out, errOut, tc.want)
			}
		})
	}
}

func TestPortInUseExitsOne(t *testing.T) {
	t.Parallel()
	p := start(t, nil, "-addr", "127.0.0.1:0")
	code, _, errOut := runExit(t, nil, "-addr", p.addr)
	if want := "getsmall: listen on " + p.addr + ": address already in use\n"; code != 1 || errOut != want {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, errOut, want)
	}
	// The metrics' own address, in use: the service does not start without them.
	code, _, errOut = runExit(t, []string{"METRICS_ADDR=" + p.addr}, "-addr", "127.0.0.1:0")
	if want := "getsmall: listen on " + p.addr + ": address already in use\n"; code != 1 || errOut != want {
		t.Errorf("METRICS_ADDR in use: exit %d, stderr %q; want 1 and %q", code, errOut, want)
	}
}

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	code, out, _ := runExit(t, nil, "version")
	gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	fasthttp := regexp.MustCompile(`github.com/valyala/fasthttp (v\S+)`).FindSubmatch(gomod)
	if code != 0 || fasthttp == nil || !strings.Contains(out, "\nfasthttp  "+string(fasthttp[1])+"\n") {
		t.Errorf("exit %d, output:\n%s\nwant the fasthttp version of go.mod", code, out)
	}
	// What make build gave the linker: git describe and the commit, or dev and unknown in a
	// tree without git (a tarball, the fork test's copies).
	for _, v := range []struct{ name, prefix string }{{"VERSION", "getsmall "}, {"COMMIT", "commit    "}, {"BUILD_DATE", "built     "}} {
		value, err := testmake.Command(repoRoot, "print-"+v.name).Output()
		if err != nil {
			t.Fatal(err)
		}
		if want := v.prefix + strings.TrimSpace(string(value)) + "\n"; !strings.Contains(out, want) {
			t.Errorf("the Makefile's %s did not reach the binary: want %q in\n%s", v.name, want, out)
		}
	}
}

// TestReproducibleBuild builds the tree again from a copy at another path with an empty
// build cache, and expects the same bytes: -trimpath, -buildid= and a commit-time build date
// leave nothing machine- or moment-specific in the binary. It is not parallel: it keeps
// both CPUs busy, and the signal tests next to it bound their exit times.
func TestReproducibleBuild(t *testing.T) {
	vars := []string{"VERSION=v0.0.0-repro", "COMMIT=0123456789abcdef", "BUILD_DATE=2026-01-01T00:00:00Z"}
	first, err := makeBuild(repoRoot, t.TempDir(), nil, vars...)
	if err != nil {
		t.Fatal(err)
	}
	copyRoot := filepath.Join(t.TempDir(), "elsewhere", "getsmall")
	if err := testmake.CopyTree(repoRoot, copyRoot, ".git", "bin", "results"); err != nil {
		t.Fatalf("copy the tree: %v", err)
	}
	second, err := makeBuild(copyRoot, t.TempDir(), []string{"GOCACHE=" + t.TempDir()}, vars...)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := sum(t, first), sum(t, second); a != b {
		t.Errorf("two builds of the same tree differ: %x vs %x", a, b)
	}
}

// waitForLog waits until a log line contains s.
func waitForLog(t *testing.T, p *proc, s string) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		for _, line := range p.log() {
			if strings.Contains(line, s) {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no log line contains %q: %q", s, p.log())
}
