package server

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/getsmall/getsmall/internal/budget"
	"github.com/getsmall/getsmall/router"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// hot are the requests that must cost no allocation anywhere in the server: the listener,
// its connection wrapper, the strict checks, fasthttp's parsing and writing, the router.
var hot = []struct{ name, req string }{
	{"GET health", "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"},
	{"HEAD health", "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n"},
	{"GET not found", "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"},
}

// pipeClient serves the whole configured server (newListener included) on an in-memory
// listener and returns one keep-alive connection to it, with a response the caller reuses.
// observed turns the metrics and the access log on (to a writer that discards).
func pipeClient(tb testing.TB, observed bool) (net.Conn, *bufio.Reader) {
	tb.Helper()
	drain := new(router.Drain)
	s := newServer(Defaults(), drain)
	ln := fasthttputil.NewInmemoryListener()
	l := newListener(ln, s.Config.MaxConns, s.Config.MaxBusy, lingerBounds{})
	if observed {
		s.Config.LogRequests, s.AccessLog = true, io.Discard
		s.MetricsListener = fasthttputil.NewInmemoryListener() // counted, never scraped
		s.Route = testRouter(drain).Route
		obs, err := s.newObserver(l)
		if err != nil {
			tb.Fatal(err)
		}
		s.obs, l.obs = obs, obs
	}
	srv := s.fasthttpServer()
	go func() { _ = srv.Serve(l) }()
	tb.Cleanup(func() { _ = srv.Shutdown() })
	c, err := ln.Dial()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c, bufio.NewReader(c)
}

// roundTrip writes req and reads its answer into resp.
func roundTrip(tb testing.TB, c net.Conn, br *bufio.Reader, req []byte, resp *fasthttp.Response) {
	if _, err := c.Write(req); err != nil {
		tb.Fatal(err)
	}
	if err := resp.Read(br); err != nil {
		tb.Fatal(err)
	}
}

// TestServeAllocs holds whole requests, server side and client side together, to the
// allocs-per-request budget of budgets.txt. The client reuses its buffers, so what an
// allocation shows is the server's.
func TestServeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own: make test runs this test again without -race")
	}
	budgets, err := budget.Load("../budgets.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, err := budgets.Get("allocs-per-request")
	if err != nil {
		t.Fatal(err)
	}
	for _, observed := range []bool{false, true} {
		for _, tc := range hot {
			c, br := pipeClient(t, observed)
			req := []byte(tc.req)
			var resp fasthttp.Response
			resp.SkipBody = tc.req[0] == 'H'
			allocs := testing.AllocsPerRun(2000, func() { roundTrip(t, c, br, req, &resp) })
			if err := b.Check(int64(allocs + 0.5)); err != nil {
				t.Errorf("%s through the whole server%s: %v", tc.name, map[bool]string{true: ", metrics and access log on"}[observed], err)
			}
		}
	}
}

// BenchmarkServe measures whole requests through the configured server, parsing and writing
// included, on one keep-alive connection over an in-memory pipe.
func BenchmarkServe(b *testing.B) {
	for _, tc := range hot {
		for _, observed := range []bool{false, true} {
			name := tc.name + map[bool]string{true: ", metrics and log on"}[observed]
			b.Run(name, func(b *testing.B) {
				benchServe(b, tc.req, observed)
			})
		}
	}
}

// benchServe measures req on one keep-alive connection, answered by a server with the
// metrics and the log on or off.
func benchServe(b *testing.B, req string, observed bool) {
	c, br := pipeClient(b, observed)
	raw := []byte(req)
	var resp fasthttp.Response
	resp.SkipBody = req[0] == 'H'
	b.ReportAllocs()
	for b.Loop() {
		roundTrip(b, c, br, raw, &resp)
	}
	if resp.StatusCode() != fasthttp.StatusOK && resp.StatusCode() != fasthttp.StatusNotFound {
		b.Fatalf("answered %d", resp.StatusCode())
	}
}

// BenchmarkServeBody measures a POST of a 1 KiB body to a route that reads it
// (internal/bodyroute's echo) through the whole server: reading the body, the route's
// limit looked up from the head, the answer that repeats it. make bench reports its
// allocations beside the hot paths' zero.
func BenchmarkServeBody(b *testing.B) {
	body := strings.Repeat("a", 1024)
	for name, req := range map[string]string{
		"1 KiB":          "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n" + body,
		"1 KiB, chunked": "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + body + "\r\n0\r\n\r\n",
	} {
		b.Run(name, func(b *testing.B) { benchServe(b, req, false) })
	}
}
