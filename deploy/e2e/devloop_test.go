//go:build k8s

package e2e

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/testmake"
)

// TestDevLoop runs make k8s-dev in a copy of the tree, as a developer would in theirs: the
// first round builds, pushes, applies dev and rolls it out; then a change to the answer's
// body in the copy's source shows up through the Service with no other command. Ctrl-C
// (SIGINT) ends the loop, which says so.
func TestDevLoop(t *testing.T) {
	const ns = "getsmall-e2e-dev"
	_, _ = kubectl(nil, "delete", "namespace", ns, "--wait=true", "--timeout=120s")
	t.Cleanup(func() { _, _ = kubectl(nil, "delete", "namespace", ns, "--wait=false") })
	tree := t.TempDir()
	if err := testmake.CopyTree(env.root, tree, ".git", "bin", "dist", "results"); err != nil {
		t.Fatal(err)
	}
	cmd := testmake.Command(tree, "k8s-dev", "K8S_DEV_NAMESPACE="+ns, "OFFLINE="+os.Getenv("OFFLINE"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Ctrl-C reaches make and what it runs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := follow(out)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Logf("make k8s-dev said:\n%s", lines.all())
	}()

	start := time.Now()
	if !lines.wait("dev: round 1: ", "rolled out", 6*time.Minute) {
		t.Fatalf("round 1 did not roll out in 6 minutes")
	}
	t.Logf("round 1 (build, push, apply, rollout) done %.1f s after make k8s-dev", time.Since(start).Seconds())
	url := serviceURL(t, ns)
	if body := getBody(t, url); body != `{"status":"ok"}` {
		t.Fatalf("GET %s: %q before the change", url, body)
	}

	health := filepath.Join(tree, "router", "health.go")
	src, err := os.ReadFile(health)
	if err != nil {
		t.Fatal(err)
	}
	const changed = `{"status":"ok","from":"the dev loop"}`
	edited := strings.Replace(string(src), "`"+`{"status":"ok"}`+"`", "`"+changed+"`", 1)
	if edited == string(src) {
		t.Fatalf("%s holds no `{\"status\":\"ok\"}` to change", health)
	}
	edit := time.Now()
	if err := os.WriteFile(health, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	var body string
	for deadline := time.Now().Add(6 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		if body = getBody(t, url); body == changed {
			break
		}
	}
	if body != changed {
		t.Fatalf("6 minutes after the edit the Service still answers %q", body)
	}
	t.Logf("the edit answered through the Service %.1f s after it was saved, with no other command", time.Since(edit).Seconds())

	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited: // make itself reports the interrupt; the loop's own word is below
		t.Logf("make k8s-dev ended: %v", err)
	case <-time.After(30 * time.Second):
		t.Error("make k8s-dev still running 30 s after Ctrl-C")
	}
	if !lines.wait("dev: stopped", "keeps running", time.Second) {
		t.Error("the dev loop did not say it stopped after Ctrl-C")
	}
}

// getBody GETs url and returns the body, or the error's text.
func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(url)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	return string(b)
}

// lineLog collects a command's output lines as they come.
type lineLog struct {
	mu    sync.Mutex
	lines []string
}

func follow(r io.Reader) *lineLog {
	l := &lineLog{}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			l.mu.Lock()
			l.lines = append(l.lines, sc.Text())
			l.mu.Unlock()
		}
	}()
	return l
}

// wait reports whether a line holding both prefix and word arrived within d.
func (l *lineLog) wait(prefix, word string, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		l.mu.Lock()
		for _, line := range l.lines {
			if strings.Contains(line, prefix) && strings.Contains(line, word) {
				l.mu.Unlock()
				return true
			}
		}
		l.mu.Unlock()
	}
	return false
}

func (l *lineLog) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
