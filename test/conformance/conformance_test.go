//go:build conformance

package conformance

import (
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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/testmake"
	"github.com/getsmall/getsmall/test/internal/testbin"
)

const repoRoot = "../.."

// The server runs with short timeouts so that every case ends in seconds: a connection the
// server keeps open closes at IDLE_TIMEOUT, which is how a kept-alive one is told apart
// from one closed right after its answer.
const (
	readTimeout  = time.Second
	writeTimeout = 300 * time.Millisecond
	idleTimeout  = 2 * time.Second
	pause        = 2 * writeTimeout       // between the parts of a staged exchange
	closedSoon   = 900 * time.Millisecond // a close right after the answer comes before this
	keptOpen     = 1500 * time.Millisecond
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

// echoBinary is getsmall-echo (test/cmd/getsmall-echo): the server with a route that reads
// bodies, built as make build builds; CONFORMANCE_ECHO_BINARY names another build.
func echoBinary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("CONFORMANCE_ECHO_BINARY"); b != "" {
		return b
	}
	return testbin.Echo(t)
}

// serve starts the binary on a loopback port with the suite's timeouts and env, and returns
// its address.
func serve(t *testing.T, bin string, env ...string) string {
	t.Helper()
	return testbin.Serve(t, bin, append([]string{"READ_TIMEOUT=" + readTimeout.String(), "WRITE_TIMEOUT=" + writeTimeout.String(),
		"IDLE_TIMEOUT=" + idleTimeout.String()}, env...)...)
}

// seen is what one connection brought back.
type seen struct {
	out   []byte
	early []byte        // what had arrived when the first of the exchange's more was written
	eof   bool          // the server closed its side (a FIN)
	after time.Duration // from the last byte of the answers (or the request) to the end of stream
	err   error         // anything else that ended the reading: a reset, the deadline
}

// exchangeOn sends ex on a new connection, keeps its own side open, and reads until the
// server closes or a little longer than the server's idle timeout after the last write.
func exchangeOn(addr string, ex exchange) seen {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return seen{err: err}
	}
	defer c.Close()
	start := time.Now()
	_ = c.SetDeadline(start.Add(idleTimeout + time.Second + time.Duration(len(ex.more))*pause))
	var (
		mu   sync.Mutex
		got  seen
		last = start
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			mu.Lock()
			if n > 0 {
				got.out, last = append(got.out, buf[:n]...), time.Now()
			}
			mu.Unlock()
			switch {
			case errors.Is(err, io.EOF):
				got.eof = true
				return
			case err != nil:
				got.err = err
				return
			}
		}
	}()
	for i, part := range append([]string{ex.send}, ex.more...) {
		if i > 0 {
			time.Sleep(pause)
		}
		if i == 1 {
			mu.Lock()
			got.early = slices.Clone(got.out)
			mu.Unlock()
		}
		if _, err := io.WriteString(c, part); err != nil {
			break // the server closed: what it answered tells
		}
	}
	<-done
	got.after = time.Since(last)
	if got.eof {
		got.err = nil
	}
	return got
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
	runExchanges(t, serve(t, binary(t)), exchanges)
}

// TestBodies runs the body exchanges against the build with a route that reads bodies.
func TestBodies(t *testing.T) {
	runExchanges(t, serve(t, echoBinary(t)), bodyExchanges)
}

// runExchanges runs every exchange of list against addr, in parallel, then has h11 judge
// them, and what had arrived of each before its staged part was written.
func runExchanges(t *testing.T, addr string, list []exchange) {
	t.Helper()
	got := make([]seen, len(list))
	var wg sync.WaitGroup
	for i, ex := range list {
		wg.Go(func() { got[i] = exchangeOn(addr, ex) })
	}
	wg.Wait()
	var names []string
	var methods [][]string
	var outs []seen
	for i, ex := range list {
		names, methods, outs = append(names, ex.name), append(methods, ex.methods), append(outs, got[i])
		if ex.early > 0 {
			names, methods = append(names, ex.name+earlySuffix), append(methods, ex.methods[:ex.early])
			outs = append(outs, seen{out: got[i].early})
		}
	}
	verdicts := judge(t, names, methods, outs)
	for i, ex := range list {
		check(t, ex, got[i], verdicts[ex.name])
		if ex.early > 0 {
			if v := verdicts[ex.name+earlySuffix]; v.Error != nil || len(v.Responses) != ex.early {
				t.Errorf("%s: before the rest of the request was sent, %d answers had arrived (%s); want %d\n  got %q",
					ex.name, len(v.Responses), nilOr(v.Error), ex.early, got[i].early)
			}
		}
	}
}

// earlySuffix names the judged prefix of an exchange that must be answered early.
const earlySuffix = " (before the rest was sent)"

func nilOr(s *string) string {
	if s == nil {
		return "no error"
	}
	return *s
}

// check compares one exchange with what was seen and judged, and logs the answer either way
// (docs/http.md's table is these lines).
func check(t *testing.T, ex exchange, got seen, v verdict) {
	t.Helper()
	var statuses, interim []int
	body, closing := "", false
	for _, r := range v.Responses {
		statuses = append(statuses, r.Status)
		body, closing = r.Body, r.MustClose
		interim = append(interim, r.Informational...)
	}
	if !slices.Equal(interim, ex.interim) {
		t.Errorf("%s: informational answers %v, want %v (a 100 Continue only for a body the route reads)", ex.name, interim, ex.interim)
	}
	closedAfter := "kept open"
	if got.eof && got.after < closedSoon {
		closedAfter = "closed"
	}
	answers := fmt.Sprint(statuses)
	if len(interim) > 0 {
		answers = fmt.Sprint(interim) + " " + answers
	}
	shown := body
	if len(shown) > 40 {
		shown = fmt.Sprintf("%s... (%d bytes)", shown[:12], len(shown))
	}
	t.Logf("%-40s -> %s %q %s (%s)", ex.name, answers, shown, closedAfter, ex.section())
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
	silent := exchangeOn(addr, exchange{})
	if len(silent.out) != 0 || !silent.eof {
		t.Errorf("a connection that sent nothing: got %q, end of stream %v (%v); want nothing and a close", silent.out, silent.eof, silent.err)
	}
	runExchanges(t, addr, []exchange{x("half a request", "RFC 9110 15.5.9", "GET /health HTTP/1.1\r\nHost: x\r\n", m("GET"), s(408), "408 request timeout\n", true)})
}

// TestOverTheCap fills a one-connection cap, with a connection that sent half a request and
// with one that idled past WRITE_TIMEOUT after its answer, and checks the next connection's
// 503.
func TestOverTheCap(t *testing.T) {
	for name, holding := range map[string]string{"half a request": "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: a", "idle": get} {
		t.Run(name, func(t *testing.T) {
			addr := serve(t, binary(t), "MAX_CONNS=1")
			hold, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer hold.Close()
			if _, err := io.WriteString(hold, holding); err != nil {
				t.Fatal(err)
			}
			time.Sleep(pause) // accepted, answered if complete, and idle past WRITE_TIMEOUT
			runExchanges(t, addr, []exchange{x("a connection over MAX_CONNS", "RFC 9110 15.6.4", get, m("GET"), s(503), "503 service unavailable\n", true)})
		})
	}
}
