package server

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// TestStrictAnswers sends what fasthttp alone answered wrongly, or in its own words, over an
// in-memory connection without closing the client's side (so an answer that waits for more
// bytes shows up as a hang), and checks status, body and that the connection then closes.
// The conformance suite (make test-conformance) checks these and the rest of RFC 9112 on the
// real binary, judged by a parser that is not Go's.
func TestStrictAnswers(t *testing.T) {
	cfg := Defaults()
	cfg.ReadTimeout = time.Minute // a request that hangs fails the test's 5 s bound instead
	r := start(t, cfg, nil)
	for name, tc := range map[string]struct {
		req    string
		status int
		body   string
		close  bool
	}{
		"HTTP/2.0":                 {"GET /health HTTP/2.0\r\nHost: x\r\n\r\n", 505, "505 http version not supported\n", true},
		"HTTP/3.7":                 {"GET /health HTTP/3.7\r\nHost: x\r\n\r\n", 505, "505 http version not supported\n", true},
		"HTTP/0.9":                 {"GET /health HTTP/0.9\r\n\r\n", 505, "505 http version not supported\n", true},
		"HTTP/1.2, as 1.1":         {"GET /health HTTP/1.2\r\nHost: x\r\n\r\n", 200, `{"status":"ok"}`, true},
		"HTTP/1.2 without Host":    {"GET /health HTTP/1.2\r\n\r\n", 400, "400 bad request\n", true},
		"HTTP/1.0":                 {"GET /health HTTP/1.0\r\n\r\n", 200, `{"status":"ok"}`, true},
		"bare LF":                  {"GET /health HTTP/1.1\nHost: x\n\n", 400, "400 bad request\n", true},
		"bare LF, second request":  {"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\nHost: x\n\n", 200, `{"status":"ok"}`, false},
		"obs-fold":                 {"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400, "400 bad request\n", true},
		"unparsable":               {"GARBAGE\r\n\r\n", 400, "400 bad request\n", true},
		"expect, over the limit":   {"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n", 413, "413 content too large\n", true},
		"expect, within the limit": {"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n", 405, "405 method not allowed\n", true},
		"expect, no content":       {"GET /health HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n", 200, `{"status":"ok"}`, true},
		"expect, unknown path":     {"PUT /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n", 404, "404 not found\n", true},
		"body over the limit":      {"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 4097\r\n\r\n", 413, "413 content too large\n", true},
		"header over the limit":    {"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 4096) + "\r\n\r\n", 431, "431 request header fields too large\n", true},
	} {
		_, br := r.send(t, tc.req)
		resp := read(t, br, false)
		if name == "bare LF, second request" { // the first answer is 200; the second refuses the bare LF
			resp = read(t, br, false)
			tc.status, tc.body, tc.close = 400, "400 bad request\n", true
		}
		if resp.StatusCode() != tc.status || string(resp.Body()) != tc.body || resp.ConnectionClose() != tc.close {
			t.Errorf("%s: %d %q, Connection: close %v; want %d %q, %v", name, resp.StatusCode(), resp.Body(), resp.ConnectionClose(), tc.status, tc.body, tc.close)
		}
		if resp.StatusCode() == 100 || strings.Contains(string(resp.Header.Header()), "100 Continue") {
			t.Errorf("%s: a 100 Continue was sent", name)
		}
	}
}

// TestSilentConnection checks that a connection that sends nothing is closed at the read
// timeout without an answer, and one that sent part of a request gets its 408.
func TestSilentConnection(t *testing.T) {
	cfg := Defaults()
	cfg.ReadTimeout = 100 * time.Millisecond
	r := start(t, cfg, nil)
	c, err := r.ln.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(bound))
	if out, err := io.ReadAll(c); err != nil || len(out) != 0 {
		t.Errorf("a connection that sent nothing: read %q, %v; want nothing, then the end", out, err)
	}
	_, br := r.send(t, "GET /health HTTP/1.1\r\n")
	if resp := read(t, br, false); resp.StatusCode() != 408 || string(resp.Body()) != "408 request timeout\n" {
		t.Errorf("half a request: %d %q, want 408", resp.StatusCode(), resp.Body())
	}
}

// TestOverTheCapBody checks the 503 a connection over the cap gets is this service's own.
func TestOverTheCapBody(t *testing.T) {
	cfg := Defaults()
	cfg.MaxConns = 1
	r := start(t, cfg, nil)
	r.send(t, "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: a") // holds the only slot
	c, err := r.ln.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(bound))
	out, err := io.ReadAll(bufio.NewReader(c))
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "HTTP/1.1 503 ") || !strings.HasSuffix(string(out), "\r\n\r\n503 service unavailable\n") {
		t.Errorf("over the cap: %q", out)
	}
}
