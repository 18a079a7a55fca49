//go:build fork

// Package fork tests the template as a forker meets it, on copies of the tree: without the
// satellites, `make build test` passes (the product stands alone, and its go.mod names
// nothing but fasthttp, fasthttp/router and hey); and docs/making-it-yours.md, followed
// exactly as written (rename, add GET /version, make test), gives a service that answers
// the new route. Each copy runs the product's whole test suite, so this is behind the fork
// build tag: run it with `make test-fork`.
package fork

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/testmake"
)

const repoRoot = "../.."

// satellites are the folders a fork may delete; none of them is the product.
var satellites = []string{"loadtest", "deploy", "tools", "test", "packaging"}

// outputs are never copied: git metadata, build and load-test outputs.
var outputs = []string{".git", "bin", "dist", "results"}

// run runs a shell command in dir and fails the test with its output when it fails.
func run(t *testing.T, dir, command string) string {
	t.Helper()
	cmd := exec.Command("sh", "-c", command)
	cmd.Dir = dir
	cmd.Env = testmake.Command(dir).Env // without the outer make's flags
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s (in %s): %v\n%s", command, dir, err, out)
	}
	return string(out)
}

// TestWithoutSatellites copies the product alone and builds and tests it there.
func TestWithoutSatellites(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "product")
	if err := testmake.CopyTree(repoRoot, dir, append(outputs, satellites...)...); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	allowed := []string{"github.com/valyala/fasthttp", "github.com/fasthttp/router", "github.com/rakyll/hey"}
	for _, line := range strings.Split(string(gomod), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && strings.Contains(f[0], ".") && !strings.Contains(line, "// indirect") && !slices.Contains(allowed, f[0]) {
			t.Errorf("go.mod requires %s directly: the product's go.mod names only %v", f[0], allowed)
		}
	}
	help := run(t, dir, "make help")
	for _, target := range []string{"build", "run", "test", "docker-build"} {
		if !regexp.MustCompile(`(?m)^` + target + ` +- `).MatchString(help) {
			t.Errorf("make help without the satellites does not list %s:\n%s", target, help)
		}
	}
	for _, target := range []string{"loadtest", "lint", "test-k8s", "test-docker"} {
		if regexp.MustCompile(`(?m)^` + target + ` +- `).MatchString(help) {
			t.Errorf("make help lists %s, whose satellite was deleted", target)
		}
	}
	started := time.Now()
	out := run(t, dir, "make build test")
	t.Logf("make build test without the satellites: %v\n%s", time.Since(started).Round(time.Second), out)
}

// step is one marked step of docs/making-it-yours.md: a marker comment and the code block
// after it.
type step struct {
	line   int    // of the marker
	action string // run, create PATH, or insert into PATH after the line containing TEXT
	body   string
}

var marker = regexp.MustCompile(`^<!-- fork-test: (.+) -->$`)

// readSteps reads the marked steps of a Markdown file in order.
func readSteps(t *testing.T, file string) []step {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []step
	var cur *step
	inBlock := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil:
			if m := marker.FindStringSubmatch(line); m != nil {
				cur = &step{line: n, action: m[1]}
			}
		case !inBlock && strings.HasPrefix(line, "```"):
			inBlock = true
		case !inBlock && strings.TrimSpace(line) != "":
			t.Fatalf("%s:%d: the marker of line %d is not followed by a code block", file, n, cur.line)
		case inBlock && strings.HasPrefix(line, "```"):
			steps = append(steps, *cur)
			cur, inBlock = nil, false
		case inBlock:
			cur.body += line + "\n"
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: a marker without a complete code block", file, cur.line)
	}
	return steps
}

// apply performs one step in dir.
func apply(t *testing.T, dir string, s step) {
	t.Helper()
	insertRE := regexp.MustCompile(`^insert into (\S+) after the line containing (.+)$`)
	switch {
	case s.action == "run":
		for _, command := range strings.Split(strings.TrimSpace(s.body), "\n") {
			started := time.Now()
			out := run(t, dir, command)
			t.Logf("$ %s (%v)\n%s", command, time.Since(started).Round(time.Second), out)
		}
	case strings.HasPrefix(s.action, "create "):
		path := filepath.Join(dir, strings.TrimPrefix(s.action, "create "))
		if _, err := os.Stat(path); err == nil {
			t.Fatalf("line %d: %s exists already", s.line, path)
		}
		if err := os.WriteFile(path, []byte(s.body), 0o600); err != nil {
			t.Fatal(err)
		}
	case insertRE.MatchString(s.action):
		m := insertRE.FindStringSubmatch(s.action)
		path := filepath.Join(dir, m[1])
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(data), "\n")
		at := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, m[2]) })
		if at < 0 {
			t.Fatalf("line %d: no line of %s contains %q", s.line, m[1], m[2])
		}
		lines = slices.Insert(lines, at+1, s.body)
		if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("line %d: unknown step %q", s.line, s.action)
	}
}

// TestWalkthrough follows docs/making-it-yours.md on a copy of the whole tree, then checks
// the rename left no trace of the old name, that a second rename changes nothing, and that
// the new service answers GET /version and POST /greet and counts its greetings.
func TestWalkthrough(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "fork")
	if err := testmake.CopyTree(repoRoot, dir, outputs...); err != nil {
		t.Fatal(err)
	}
	steps := readSteps(t, filepath.Join(dir, "docs", "making-it-yours.md"))
	if len(steps) < 4 || steps[0].action != "run" || !strings.HasPrefix(steps[0].body, "make rename ") {
		t.Fatalf("docs/making-it-yours.md: want a rename first and then the route's steps, got %+v", steps)
	}
	rename := strings.TrimSpace(steps[0].body)
	name := regexp.MustCompile(`NAME=(\S+)`).FindStringSubmatch(rename)
	if name == nil {
		t.Fatalf("the rename step %q names no NAME", rename)
	}
	for i, s := range steps {
		apply(t, dir, s)
		if i == 0 {
			checkRenamed(t, dir, name[1])
			if out := run(t, dir, rename); !strings.Contains(out, "nothing to change") {
				t.Errorf("a second %q changed something:\n%s", rename, out)
			}
		}
	}
	f := startFork(t, dir, name[1])
	checkVersionRoute(t, f)
	checkGreetRoute(t, f, name[1])
}

// checkRenamed finds the old name, as a word in lower or upper case, nowhere but in LICENSE
// (the copyright line stays) and in the rename tool's own tests. Go identifiers that
// contain it (report.Getsmall) are left as they are, as the rename leaves them.
func checkRenamed(t *testing.T, dir, name string) {
	t.Helper()
	old := regexp.MustCompile(`(^|[^A-Za-z0-9])(getsmall|GETSMALL)([^A-Za-z0-9]|$)`)
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if rel == "LICENSE" || rel == "tools/cmd/rename" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if old.MatchString(d.Name()) {
			t.Errorf("%s: the old name is still in the path", rel)
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if loc := old.FindIndex(data); loc != nil && !strings.Contains(string(data[:min(len(data), 8000)]), "\x00") {
			line := strings.Count(string(data[:loc[0]]), "\n") + 1
			t.Errorf("%s:%d: the old name is still there after the rename to %s", rel, line, name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fork is the renamed service running, with its metrics on.
type fork struct{ addr, metrics string }

// startFork builds the renamed service and starts it on loopback ports.
func startFork(t *testing.T, dir, name string) fork {
	t.Helper()
	run(t, dir, "make build VERSION=v9.9.9-fork")
	cmd := exec.Command(filepath.Join(dir, "bin", name), "-addr", "127.0.0.1:0")
	cmd.Env = []string{"METRICS_ADDR=127.0.0.1:0"}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	serving := regexp.MustCompile(`^` + name + `: serving on (\S+) `)
	metrics := regexp.MustCompile(`^` + name + `: metrics on http://(\S+)/metrics$`)
	var f fork
	sc := bufio.NewScanner(stderr)
	for f.metrics == "" && sc.Scan() {
		if m := serving.FindStringSubmatch(sc.Text()); m != nil {
			f.addr = m[1]
		}
		if m := metrics.FindStringSubmatch(sc.Text()); m != nil {
			f.metrics = m[1]
		}
	}
	if f.addr == "" || f.metrics == "" {
		t.Fatalf("bin/%s printed no %q and %q lines", name, name+": serving on", name+": metrics on")
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }()
	return f
}

// checkVersionRoute asks the fork's GET /version.
func checkVersionRoute(t *testing.T, f fork) {
	t.Helper()
	status, contentType, body := ask(t, f.addr, "GET /version HTTP/1.1\r\nHost: x\r\n\r\n", "")
	want := `{"version":"v9.9.9-fork"}`
	if status != http.StatusOK || body != want || contentType != "application/json" {
		t.Errorf("GET /version: %d %q (%s), want 200 %q (application/json)", status, body, contentType, want)
	}
	fmt.Printf("GET /version on the fork: %d %s\n", status, body)
}

// checkGreetRoute sends the fork's POST /greet a JSON document every way a client sends a
// body (Content-Length, Expect: 100-continue, chunked) and the ways it refuses one, then
// reads the fork's own metric.
func checkGreetRoute(t *testing.T, f fork, name string) {
	t.Helper()
	const doc = `{"name":"Ada"}`
	head := "POST /greet HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	length := fmt.Sprintf("Content-Length: %d\r\n", len(doc))
	for _, tc := range []struct {
		name, head, body string
		status           int
		want             string
	}{
		{"Content-Length", head + length + "\r\n", doc, 200, `{"greeting":"hello, Ada"}`},
		{"Expect: 100-continue", head + length + "Expect: 100-continue\r\n\r\n", doc, 200, `{"greeting":"hello, Ada"}`},
		{"chunked", head + "Transfer-Encoding: chunked\r\n\r\n", fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(doc), doc), 200, `{"greeting":"hello, Ada"}`},
		{"bad JSON", head + "Content-Length: 8\r\n\r\n", `{"name":`, 400, "400 bad request: unexpected end of JSON input\n"},
		{"text/plain", "POST /greet HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n" + length + "\r\n", doc, 415, "415 unsupported media type: send application/json\n"},
		{"over its limit", head + "Content-Length: 257\r\n\r\n", "", 413, "413 content too large\n"},
		{"over its limit, Expect", head + "Content-Length: 257\r\nExpect: 100-continue\r\n\r\n", "", 413, "413 content too large\n"},
	} {
		status, _, body := ask(t, f.addr, tc.head, tc.body)
		if status != tc.status || body != tc.want {
			t.Errorf("POST /greet, %s: %d %q, want %d %q", tc.name, status, body, tc.status, tc.want)
		}
	}
	_, _, metrics := ask(t, f.metrics, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "")
	if want := "\n" + name + "_greetings_total 3\n"; !strings.Contains(metrics, want) {
		t.Errorf("the fork's /metrics has no %q:\n%s", strings.TrimSpace(want), metrics)
	}
}

// ask sends head on a new connection, then body (after the 100 Continue when head asks for
// one), and returns the final answer's status, Content-Type and body.
func ask(t *testing.T, addr, head, body string) (int, string, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(head, "Expect: 100-continue") && !strings.Contains(head, "257") {
		if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
			t.Fatalf("%q: %q, %v; want a 100 Continue first", head, line, err)
		}
		_, _ = br.ReadString('\n')
	}
	if _, err := io.WriteString(c, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%q: %v", head, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}
