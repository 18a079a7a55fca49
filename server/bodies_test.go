package server

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/rawhttp"
	"github.com/getsmall/getsmall/router"
	"github.com/valyala/fasthttp"
)

// bodyCase is one way a client sends a body: the head and what follows it, in two parts so
// that a client that waits for 100 Continue sends the second after it.
type bodyCase struct {
	name         string
	head, body   string
	expect       bool   // the head asks for 100 Continue and the body waits for it
	interim      bool   // a 100 Continue must come first
	status       int    // 0: the route's own answer to a body of size bytes
	size         int    // the body's bytes, for the route's own answer
	slow         bool   // sent to the server with a short read timeout, and never finished
	refusedEarly string // the answer must come with the body unsent: why
}

// bodyCases derives the cases of one method of one route that reads up to limit bytes: at
// the limit and one byte over, by Content-Length and chunked, with and without "Expect:
// 100-continue"; a body slower than READ_TIMEOUT; and HTTP/1.0, whose expectation is
// ignored. Nothing here names a route: every route that declares MaxBodyBytes is tested.
func bodyCases(method, path string, limit int) []bodyCase {
	line := method + " " + path + " HTTP/1.1\r\nHost: x\r\n"
	length := func(n int) string { return "Content-Length: " + strconv.Itoa(n) + "\r\n" }
	const te = "Transfer-Encoding: chunked\r\n"
	const expect = "Expect: 100-continue\r\n"
	at, over := strings.Repeat("a", limit), strings.Repeat("a", limit+1)
	return []bodyCase{
		{name: "at its limit", head: line + length(limit) + "\r\n", body: at, size: limit},
		{name: "at its limit, Expect", head: line + length(limit) + expect + "\r\n", body: at, expect: true, interim: true, size: limit},
		{name: "at its limit, chunked", head: line + te + "\r\n", body: chunked(at, true), size: limit},
		{name: "at its limit, chunked, Expect", head: line + te + expect + "\r\n", body: chunked(at, true), expect: true, interim: true, size: limit},
		{name: "empty", head: line + length(0) + "\r\n"},
		{name: "one byte over", head: line + length(limit+1) + "\r\n", status: 413, refusedEarly: "413 before the body"},
		{name: "one byte over, Expect", head: line + length(limit+1) + expect + "\r\n", expect: true, status: 413, refusedEarly: "413 before any 100"},
		{name: "chunked over", head: line + te + "\r\n" + chunked(over, false), status: 413, refusedEarly: "413 before the last chunk"},
		{name: "chunked over, Expect", head: line + te + expect + "\r\n", body: chunked(over, false), expect: true, interim: true, status: 413},
		{name: "slow", head: line + length(limit) + "\r\n" + at[:limit/2], status: 408, slow: true},
		{name: "HTTP/1.0, Expect ignored", head: method + " " + path + " HTTP/1.0\r\n" + length(limit) + expect + "\r\n", body: at, size: limit},
	}
}

// chunked frames body as two chunks, with the last chunk that ends it when last is set.
func chunked(body string, last bool) string {
	h := len(body) / 2
	s := fmt.Sprintf("%x\r\n%s\r\n%x\r\n%s\r\n", h, body[:h], len(body)-h, body[h:])
	if last {
		s += "0\r\n\r\n"
	}
	return s
}

// ownAnswer is what route's handler answers method with a body of n bytes when it runs on
// its own: what the server must pass on once it has read the whole body.
func ownAnswer(r router.Route, method string, n int) (int, string) {
	ctx := new(fasthttp.RequestCtx)
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(r.Path)
	ctx.Request.SetBodyString(strings.Repeat("a", n))
	r.Handle(ctx)
	return ctx.Response.StatusCode(), string(ctx.Response.Body())
}

// TestBodies runs every case of bodyCases for every method of every route that reads a
// body, against a server whose MAX_BODY_BYTES is above the routes' limits, and against one
// whose MAX_BODY_BYTES caps them.
func TestBodies(t *testing.T) {
	t.Parallel()
	var routes []router.Route
	for _, r := range testRouter(nil).Routes() {
		if r.MaxBodyBytes > 0 {
			routes = append(routes, r)
		}
	}
	if len(routes) == 0 {
		t.Fatal("no route reads a body: the tests serve internal/bodyroute's for that")
	}
	for _, ceiling := range []string{"the route's limit", "MAX_BODY_BYTES"} {
		for _, r := range routes {
			cfg := Defaults()
			cfg.ReadTimeout = time.Minute // refusals must come at once: the test's bound ends first
			cfg.MaxBodyBytes = 4 * r.MaxBodyBytes
			if ceiling == "MAX_BODY_BYTES" {
				cfg.MaxBodyBytes = r.MaxBodyBytes / 2
			}
			limit := min(r.MaxBodyBytes, cfg.MaxBodyBytes)
			addr := serveTCP(t, cfg, lingerBounds{})
			cfg.ReadTimeout = 300 * time.Millisecond
			slowAddr := serveTCP(t, cfg, lingerBounds{})
			for _, method := range r.Methods {
				for _, bc := range bodyCases(method, r.Path, limit) {
					t.Run(fmt.Sprintf("%s %s, limit %d by %s: %s", method, r.Path, limit, ceiling, bc.name), func(t *testing.T) {
						t.Parallel()
						a := addr
						if bc.slow {
							a = slowAddr
						}
						checkBody(t, a, r, method, bc)
					})
				}
			}
		}
	}
}

// checkBody sends one body case on a new connection and checks its answer.
func checkBody(t *testing.T, addr string, r router.Route, method string, bc bodyCase) {
	c, br := dialTCP(t, addr)
	if _, err := io.WriteString(c, bc.head); err != nil {
		t.Fatal(err)
	}
	var interim []int
	if bc.expect && bc.interim {
		a, err := readInterim(br)
		if err != nil {
			t.Fatalf("waiting for 100 Continue: %+v, %v", a, err)
		}
		interim = []int{100}
	}
	if bc.refusedEarly == "" {
		if _, err := io.WriteString(c, bc.body); err != nil {
			t.Fatal(err)
		}
	}
	got, err := rawhttp.Read(br, false)
	got.Interim = append(interim, got.Interim...)
	wantStatus, wantBody, wantClose := bc.status, "", true
	switch bc.status {
	case 0:
		wantStatus, wantBody = ownAnswer(r, method, bc.size)
		wantClose = strings.Contains(bc.head, "HTTP/1.0")
	case 408:
		wantBody = "408 request timeout\n"
	case 413:
		wantBody = "413 content too large\n"
	}
	if err != nil || got.Status != wantStatus || got.Body != wantBody || got.Close != wantClose {
		t.Errorf("%+v, %v; want %d %q, Connection: close %v%s", got, err, wantStatus, wantBody, wantClose, map[bool]string{true: " (" + bc.refusedEarly + ")"}[bc.refusedEarly != ""])
	}
	if wantInterim := bc.interim; (len(got.Interim) > 0) != wantInterim {
		t.Errorf("interim answers %v, want a 100 Continue: %v", got.Interim, wantInterim)
	}
}

// readInterim reads a 100 Continue and the empty line that ends it, and nothing more.
func readInterim(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		return line, fmt.Errorf("got %q, not a 100 Continue: %w", line, err)
	}
	end, err := br.ReadString('\n')
	if end != "\r\n" {
		return line + end, fmt.Errorf("the 100 Continue goes on with %q: %w", end, err)
	}
	return line, nil
}
