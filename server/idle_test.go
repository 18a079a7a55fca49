package server

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/bodyroute"
	"github.com/getsmall/getsmall/internal/rawhttp"
)

// idleConfig is a server whose write timeout is short, so that a connection idles past it
// in a fraction of a second, and whose read timeout is long enough that only the 408 case
// meets it.
func idleConfig() Config {
	cfg := Defaults()
	cfg.WriteTimeout = 200 * time.Millisecond
	cfg.ReadTimeout = time.Second
	cfg.IdleTimeout = time.Minute
	return cfg
}

// dialTCP opens a connection to addr that the test closes, bounded by the tests' bound.
func dialTCP(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(bound))
	return c, bufio.NewReader(c)
}

// exchange writes req on c and reads the answer to it.
func exchange(t *testing.T, c net.Conn, br *bufio.Reader, req string) (rawhttp.Answer, error) {
	t.Helper()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write %q: %v", req, err)
	}
	return rawhttp.Read(br, strings.HasPrefix(req, "HEAD "))
}

// TestAnswersAfterIdle sends every answer the server gives itself on a keep-alive
// connection that idled for three times WRITE_TIMEOUT after its first answer, as a proxy's
// pooled connection does. fasthttp wrote its error answers, and the 100 Continue, under the
// previous answer's expired deadline: they were lost and the connection closed without a
// word (issue 24).
func TestAnswersAfterIdle(t *testing.T) {
	t.Parallel()
	cfg := idleConfig()
	addr := serveTCP(t, cfg, lingerBounds{})
	over := "Content-Length: " + strconv.Itoa(cfg.MaxBodyBytes+1) + "\r\n"
	for name, tc := range map[string]struct {
		req     string
		interim int // a 100 Continue first
		status  int
		body    string
		close   bool
	}{
		"400 two Hosts":           {req: "GET /health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", status: 400, body: "400 bad request\n", close: true},
		"400 bare LF":             {req: "GET /health HTTP/1.1\nHost: x\n\n", status: 400, body: "400 bad request\n", close: true},
		"408 half a request":      {req: "GET /health HTTP/1.1\r\nHost: x\r\n", status: 408, body: "408 request timeout\n", close: true},
		"413 over MAX_BODY_BYTES": {req: "POST /health HTTP/1.1\r\nHost: x\r\n" + over + "\r\n", status: 413, body: "413 content too large\n", close: true},
		"413 over a route's":      {req: "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + strconv.Itoa(bodyroute.Limit+1) + "\r\n\r\n", status: 413, body: "413 content too large\n", close: true},
		"431":                     {req: "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", cfg.MaxHeaderBytes) + "\r\n\r\n", status: 431, body: "431 request header fields too large\n", close: true},
		"505":                     {req: "GET /health HTTP/2.0\r\nHost: x\r\n\r\n", status: 505, body: "505 http version not supported\n", close: true},
		"refused expectation":     {req: "POST /health HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n" + over + "\r\n", status: 413, body: "413 content too large\n", close: true},
		"100 Continue":            {req: "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n", interim: 100, status: 200, body: "got:hi"},
		"a handler's 404":         {req: "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", status: 404, body: "404 not found\n"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, br := dialTCP(t, addr)
			if a, err := exchange(t, c, br, get("/health")); err != nil || a.Status != 200 {
				t.Fatalf("first request: %+v, %v", a, err)
			}
			time.Sleep(3 * cfg.WriteTimeout)
			req := tc.req
			if tc.interim != 0 {
				// The body follows the 100, as a client that waits for it sends it.
				if _, err := io.WriteString(c, req); err != nil {
					t.Fatal(err)
				}
				line, err := br.ReadString('\n')
				if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
					t.Fatalf("after idling: %q, %v; want a 100 Continue", line, err)
				}
				_, _ = br.ReadString('\n') // the empty line ending it
				req = "hi"
			}
			a, err := exchange(t, c, br, req)
			if err != nil || a.Status != tc.status || a.Body != tc.body || a.Close != tc.close {
				t.Errorf("after idling %v: %+v, %v; want %d %q, Connection: close %v",
					3*cfg.WriteTimeout, a, err, tc.status, tc.body, tc.close)
			}
		})
	}
}

// TestOverCapAfterIdle fills the connection cap with keep-alive connections that idled past
// WRITE_TIMEOUT, then checks that one more connection gets the whole over-cap 503.
func TestOverCapAfterIdle(t *testing.T) {
	t.Parallel()
	cfg := idleConfig()
	cfg.MaxConns = 2
	addr := serveTCP(t, cfg, lingerBounds{})
	for range cfg.MaxConns {
		c, br := dialTCP(t, addr)
		if a, err := exchange(t, c, br, get("/health")); err != nil || a.Status != 200 {
			t.Fatalf("filling the cap: %+v, %v", a, err)
		}
	}
	time.Sleep(3 * cfg.WriteTimeout)
	_, br := dialTCP(t, addr)
	if a, err := rawhttp.Read(br, false); err != nil || a.Status != 503 || a.Body != "503 service unavailable\n" || !a.Close {
		t.Errorf("over the cap: %+v, %v; want the whole 503", a, err)
	}
}

// TestPipelinedAnswerNotHeldBack sends a complete request followed by the head and part of
// the body of another, and reads the first answer while the second waits for the rest of
// its body. fasthttp held the first answer back, to write it with the next one, until the
// read timeout ended the connection (issue 24).
func TestPipelinedAnswerNotHeldBack(t *testing.T) {
	t.Parallel()
	cfg := Defaults()
	cfg.ReadTimeout = time.Minute // the answer must not wait for it: the test's bound ends first
	addr := serveTCP(t, cfg, lingerBounds{})
	for name, first := range map[string]string{
		"GET":           get("/health"),
		"a body's":      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi",
		"a chunked's":   "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
		"an HTTP/1.0's": "GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	} {
		for next, second := range map[string]struct{ partial, rest, body string }{
			"half a body": {"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab", "cdefghij", "got:abcdefghij"},
			"half a head": {"GET /health HTTP/1.1\r\nHost: x\r\n", "\r\n", `{"status":"ok"}`},
		} {
			t.Run(name+", then "+next, func(t *testing.T) {
				t.Parallel()
				c, br := dialTCP(t, addr)
				a, err := exchange(t, c, br, first+second.partial)
				if err != nil || a.Status != 200 {
					t.Fatalf("the first answer: %+v, %v; want 200 before the second request is complete", a, err)
				}
				if a, err := exchange(t, c, br, second.rest); err != nil || a.Status != 200 || a.Body != second.body {
					t.Errorf("the second answer: %+v, %v; want 200 %q", a, err, second.body)
				}
			})
		}
	}
}
