package main

// Process tests: the real binary, built once per run by `make build`, so what is tested is
// what ships. They check what only a process shows: listening, signals, exit codes, logs.

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/testmake"
)

// binary is the path of the getsmall built by TestMain.
var binary string

// repoRoot is where the Makefile is, relative to this package.
const repoRoot = "../.."

// bound keeps a broken test from hanging; it asserts nothing about speed.
const bound = 10 * time.Second

func TestMain(m *testing.M) {
	if runtime.GOOS == "windows" {
		fmt.Println("skip: the process tests drive the binary with make and stop it with SIGTERM, which Windows lacks; the handler and server tests run")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "getsmall-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary, err = makeBuild(repoRoot, dir, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// makeBuild runs `make build` in root with the binary going to binDir and returns its path.
func makeBuild(root, binDir string, extraEnv []string, vars ...string) (string, error) {
	cmd := testmake.Command(root, append([]string{"build", "BIN_DIR=" + binDir}, vars...)...)
	cmd.Env = append(cmd.Env, extraEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("make build: %w\n%s", err, out)
	}
	return filepath.Join(binDir, "getsmall"), nil
}

// proc is a running getsmall.
type proc struct {
	cmd    *exec.Cmd
	addr   string // from the start-up log line
	memory string // the start-up line's memory part: limit, max-conns, GOMEMLIMIT
	mu     sync.Mutex
	stderr []string
	exited chan struct{}
	code   int
	ended  time.Time
}

var servingLine = regexp.MustCompile(`^getsmall: serving on (\S+) \(version \S+, commit \S+; (.+)\)$`)

// start runs the binary with args in an environment holding only env and waits for the
// start-up line, which carries the address actually bound. Warnings may come before it.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	return startTo(t, nil, env, args...)
}

// startTo is start with the binary's stdout going to stdout (nil: nowhere).
func startTo(t *testing.T, stdout *os.File, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(binary, args...), exited: make(chan struct{})}
	p.cmd.Env = append([]string{}, env...) // never nil: nil would inherit this environment
	if stdout != nil {
		p.cmd.Stdout = stdout // a file: the binary writes to it directly, and blocks when it does
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr = append(p.stderr, sc.Text())
			p.mu.Unlock()
			select {
			case lines <- sc.Text():
			default:
			}
		}
		_ = p.cmd.Wait()
		p.ended = time.Now()
		p.code = p.cmd.ProcessState.ExitCode()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	timeout := time.After(bound)
	for p.addr == "" {
		select {
		case line := <-lines:
			if strings.HasPrefix(line, "getsmall: warning: ") {
				continue
			}
			m := servingLine.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("log line %q is neither a warning nor the start-up line", line)
			}
			p.addr, p.memory = m[1], m[2]
		case <-p.exited:
			t.Fatalf("exited %d before serving: %q", p.code, p.log())
		case <-timeout:
			t.Fatal("no start-up line")
		}
	}
	return p
}

func (p *proc) log() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.stderr...)
}

// signal sends sig and returns when it was sent.
func (p *proc) signal(t *testing.T, sig syscall.Signal) time.Time {
	t.Helper()
	sent := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	return sent
}

// wait returns the exit code and when the process ended.
func (p *proc) wait(t *testing.T) (int, time.Time) {
	t.Helper()
	select {
	case <-p.exited:
		return p.code, p.ended
	case <-time.After(bound):
		t.Fatalf("process still running; log: %q", p.log())
		return 0, time.Time{}
	}
}

// runExit runs the binary to completion and returns its exit code, stdout and stderr.
func runExit(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{}, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// dial opens a raw TCP connection to the server.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, bound)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(bound))
	return c
}

// client does not follow redirects: a redirect must show up as one.
var client = &http.Client{
	Timeout:       bound,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// do sends one request and returns the status, the headers and the body.
func do(t *testing.T, method, url string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

func sum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}
