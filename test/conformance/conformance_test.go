//go:build conformance

package conformance

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/testmake"
)

const repoRoot = "../.."

// The server runs with short timeouts so that every case ends in seconds: a connection the
// server keeps open closes at IDLE_TIMEOUT, which is how a kept-alive one is told apart
// from one closed right after its answer.
const (
	readTimeout = time.Second
	idleTimeout = 2 * time.Second
	closedSoon  = 900 * time.Millisecond // a close right after the answer comes before this
	keptOpen    = 1500 * time.Millisecond
)

// binary is what the suite holds to the RFC: make build's, or CONFORMANCE_BINARY (to see
// what another build answers, e.g. one from before a change).
func binary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("CONFORMANCE_BINARY"); b != "" {
		return b
	}
	dir := t.TempDir()
	if out, err := testmake.Command(repoRoot, "build", "BIN_DIR="+dir).CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	name, err := testmake.Command(repoRoot, "print-NAME").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, strings.TrimSpace(string(name)))
}

// serve starts the binary on a loopback port with env and returns its address.
func serve(t *testing.T, bin string, env ...string) string {
	t.Helper()
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	cmd.Env = append([]string{"READ_TIMEOUT=" + readTimeout.String(), "IDLE_TIMEOUT=" + idleTimeout.String()}, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	serving := regexp.MustCompile(`: serving on (\S+) `)
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := serving.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return m[1]
		}
	}
	t.Fatal("the binary printed no start-up line")
	return ""
}

// seen is what one connection brought back.
type seen struct {
	out   []byte
	eof   bool          // the server closed its side (a FIN)
	after time.Duration // from the last byte of the answers (or the request) to the end of stream
	err   error         // anything else that ended the reading: a reset, the deadline
}

// exchangeOn sends send on a new connection, keeps its own side open, and reads until the
// server closes or a little longer than the server's idle timeout.
func exchangeOn(addr, send string) seen {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return seen{err: err}
	}
	defer c.Close()
	start := time.Now()
	_ = c.SetDeadline(start.Add(idleTimeout + time.Second))
	if _, err := io.WriteString(c, send); err != nil {
		return seen{err: err}
	}
	var out []byte
	last := start
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			out, last = append(out, buf[:n]...), time.Now()
		}
		switch {
		case errors.Is(err, io.EOF):
			return seen{out: out, eof: true, after: time.Since(last)}
		case err != nil:
			return seen{out: out, after: time.Since(last), err: err}
		}
	}
}

// verdict is judge.py's reading of one exchange.
type verdict struct {
	Name      string `json:"name"`
	Responses []struct {
		Informational []int      `json:"informational"`
		Status        int        `json:"status"`
		Body          string     `json:"body"`
		Headers       [][]string `json:"headers"`
		MustClose     bool       `json:"must_close"`
	} `json:"responses"`
	Error    *string `json:"error"`
	Leftover int     `json:"leftover"`
}

// judge has judge.py read every exchange's bytes as the answers to its requests.
func judge(t *testing.T, names []string, methods [][]string, got []seen) map[string]verdict {
	t.Helper()
	python := os.Getenv("CONFORMANCE_PYTHON")
	if python == "" {
		python = "/usr/bin/python3"
	}
	type input struct {
		Name    string   `json:"name"`
		Methods []string `json:"methods"`
		Output  string   `json:"output"`
		EOF     bool     `json:"eof"`
	}
	var in []input
	for i := range names {
		in = append(in, input{names[i], methods[i], base64.StdEncoding.EncodeToString(got[i].out), got[i].eof})
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "judge.py") //nolint:gosec // the python the make target or the user names
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s judge.py: %v\n%s(the judge needs Debian's python3-h11 0.14.0: apt-get install python3-h11; CONFORMANCE_PYTHON names the python)", python, err, stderr.String())
	}
	var vs []verdict
	if err := json.Unmarshal(out, &vs); err != nil {
		t.Fatalf("judge.py's answer: %v\n%s", err, out)
	}
	byName := map[string]verdict{}
	for _, v := range vs {
		byName[v.Name] = v
	}
	return byName
}

// TestRFC9112 runs every exchange against one server, in parallel, then has h11 judge them.
func TestRFC9112(t *testing.T) {
	addr := serve(t, binary(t))
	got := make([]seen, len(exchanges))
	var wg sync.WaitGroup
	for i, ex := range exchanges {
		wg.Go(func() { got[i] = exchangeOn(addr, ex.send) })
	}
	wg.Wait()
	var names []string
	var methods [][]string
	for _, ex := range exchanges {
		names, methods = append(names, ex.name), append(methods, ex.methods)
	}
	verdicts := judge(t, names, methods, got)
	for i, ex := range exchanges {
		check(t, ex, got[i], verdicts[ex.name])
	}
}

// check compares one exchange with what was seen and judged, and logs the answer either way
// (docs/http.md's table is these lines).
func check(t *testing.T, ex exchange, got seen, v verdict) {
	t.Helper()
	var statuses []int
	body, closing := "", false
	for _, r := range v.Responses {
		statuses = append(statuses, r.Status)
		body, closing = r.Body, r.MustClose
		if len(r.Informational) > 0 {
			t.Errorf("%s: informational answers %v: no 100 Continue for a body the server does not read", ex.name, r.Informational)
		}
	}
	closedAfter := "kept open"
	if got.eof && got.after < closedSoon {
		closedAfter = "closed"
	}
	t.Logf("%-40s -> %v %q %s (%s)", ex.name, statuses, body, closedAfter, ex.section())
	var problems []string
	if v.Error != nil {
		problems = append(problems, "judge: "+*v.Error)
	}
	if v.Leftover > 0 {
		problems = append(problems, fmt.Sprintf("%d bytes after the last answer", v.Leftover))
	}
	if !slices.Equal(statuses, ex.status) {
		problems = append(problems, fmt.Sprintf("statuses %v, want %v", statuses, ex.status))
	}
	if body != ex.body {
		problems = append(problems, fmt.Sprintf("last body %q, want %q", body, ex.body))
	}
	var ne net.Error
	switch {
	case got.err != nil && (!errors.As(got.err, &ne) || !ne.Timeout()):
		problems = append(problems, fmt.Sprintf("the connection ended with %v, not a FIN", got.err))
	case ex.close && closedAfter != "closed":
		problems = append(problems, fmt.Sprintf("not closed right after the answer (end of stream %v, %v after the last byte)", got.eof, got.after.Round(time.Millisecond)))
	case ex.close && !closing:
		problems = append(problems, "closed without saying Connection: close")
	case !ex.close && got.eof && got.after < keptOpen:
		problems = append(problems, fmt.Sprintf("closed %v after the answer: want it kept open", got.after.Round(time.Millisecond)))
	}
	if len(problems) > 0 {
		t.Errorf("%s (%s):\n  %s\n  sent %q\n  got  %q", ex.name, ex.section(), strings.Join(problems, "\n  "), ex.send, got.out)
	}
}

// TestSilentAndPartial checks the two ends of the read timeout: a connection that sent
// nothing is closed without a word, and one that sent part of a request gets 408.
func TestSilentAndPartial(t *testing.T) {
	addr := serve(t, binary(t))
	silent := exchangeOn(addr, "")
	if len(silent.out) != 0 || !silent.eof {
		t.Errorf("a connection that sent nothing: got %q, end of stream %v (%v); want nothing and a close", silent.out, silent.eof, silent.err)
	}
	partial := exchangeOn(addr, "GET /health HTTP/1.1\r\nHost: x\r\n")
	v := judge(t, []string{"partial"}, [][]string{{"GET"}}, []seen{partial})["partial"]
	check(t, exchange{"half a request", "RFC 9110 15.5.9", "", m("GET"), s(408), "408 request timeout\n", true}, partial, v)
}

// TestOverTheCap fills a one-connection cap and checks the next connection's 503.
func TestOverTheCap(t *testing.T) {
	addr := serve(t, binary(t), "MAX_CONNS=1")
	hold, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	if _, err := io.WriteString(hold, "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: a"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // accepted before the next one
	over := exchangeOn(addr, get)
	v := judge(t, []string{"over"}, [][]string{{"GET"}}, []seen{over})["over"]
	check(t, exchange{"a connection over MAX_CONNS", "RFC 9110 15.6.4", get, m("GET"), s(503), "503 service unavailable\n", true}, over, v)
}
