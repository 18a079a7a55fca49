package router

import (
	"bytes"
	"net"
	"testing"

	"github.com/valyala/fasthttp"
)

// routers are the two ways New can route: fasthttp/router in the default build, a direct
// comparison in the floppy build (-tags floppy). Every build tests both, so the two give
// the same answers; under the floppy tag both entries are the comparison.
var routers = []struct {
	name string
	new  func(*Drain) fasthttp.RequestHandler
}{
	{"New", New},
	{"switch", newSwitch},
}

// serve runs one request through the handler on a bare RequestCtx: no network, no server.
func serve(t testing.TB, h fasthttp.RequestHandler, method, uri, host string) *fasthttp.RequestCtx {
	t.Helper()
	ctx := new(fasthttp.RequestCtx)
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	ctx.Request.Header.SetHost(host)
	h(ctx)
	return ctx
}

// routeCase is one row of the behaviour table in the README.
type routeCase struct {
	method, uri string
	status      int
	body        string
	contentType string
	allow       string
	noStore     bool
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	const okJSON = `{"status":"ok"}`
	tests := map[string]routeCase{
		"GET health":            {method: "GET", uri: "/health", status: 200, body: okJSON, contentType: "application/json", noStore: true},
		"GET health with query": {method: "GET", uri: "/health?x=1", status: 200, body: okJSON, contentType: "application/json", noStore: true},
		"HEAD health":           {method: "HEAD", uri: "/health", status: 200, body: okJSON, contentType: "application/json", noStore: true},
		"root":                  {method: "GET", uri: "/", status: 404, body: "404 not found\n", contentType: "text/plain; charset=utf-8"},
		"trailing slash":        {method: "GET", uri: "/health/", status: 404, body: "404 not found\n", contentType: "text/plain; charset=utf-8"},
		"upper case":            {method: "GET", uri: "/HEALTH", status: 404, body: "404 not found\n", contentType: "text/plain; charset=utf-8"},
		"double slash":          {method: "GET", uri: "//health", status: 404, body: "404 not found\n", contentType: "text/plain; charset=utf-8"},
		"below health":          {method: "GET", uri: "/health/x", status: 404, body: "404 not found\n", contentType: "text/plain; charset=utf-8"},
		"unknown path":          {method: "GET", uri: "/nope", status: 404, body: "404 not found\n", contentType: "text/plain; charset=utf-8"},
		"dot segments":          {method: "GET", uri: "/x/../health/", status: 404, body: "404 not found\n", contentType: "text/plain; charset=utf-8"},
		"POST unknown path":     {method: "POST", uri: "/nope", status: 404, body: "404 not found\n", contentType: "text/plain; charset=utf-8"},
		"OPTIONS unknown path":  {method: "OPTIONS", uri: "/nope", status: 404, body: "404 not found\n", contentType: "text/plain; charset=utf-8"},
		"HEAD unknown path":     {method: "HEAD", uri: "/nope", status: 404, body: "404 not found\n", contentType: "text/plain; charset=utf-8"},
		"absolute form":         {method: "GET", uri: "http://evil.example/health", status: 200, body: okJSON, contentType: "application/json", noStore: true},
		"absolute form, other":  {method: "GET", uri: "http://evil.example/nope", status: 404, body: "404 not found\n", contentType: "text/plain; charset=utf-8"},
		"encoded path":          {method: "GET", uri: "/%68ealth", status: 404, body: "404 not found\n", contentType: "text/plain; charset=utf-8"},
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"} {
		tests[m+" health"] = routeCase{method: m, uri: "/health", status: 405, body: "405 method not allowed\n", contentType: "text/plain; charset=utf-8", allow: "GET, HEAD"}
	}

	for _, r := range routers {
		for name, tc := range tests {
			t.Run(r.name+"/"+name, func(t *testing.T) {
				t.Parallel()
				ctx := serve(t, r.new(new(Drain)), tc.method, tc.uri, "evil.example")
				resp := &ctx.Response
				if got := resp.StatusCode(); got != tc.status {
					t.Errorf("status = %d, want %d", got, tc.status)
				}
				if got := string(resp.Body()); got != tc.body {
					t.Errorf("body = %q, want %q", got, tc.body)
				}
				if got := string(resp.Header.ContentType()); got != tc.contentType {
					t.Errorf("Content-Type = %q, want %q", got, tc.contentType)
				}
				if got := string(resp.Header.Peek("Allow")); got != tc.allow {
					t.Errorf("Allow = %q, want %q", got, tc.allow)
				}
				wantCache := ""
				if tc.noStore {
					wantCache = "no-store"
				}
				if got := string(resp.Header.Peek("Cache-Control")); got != wantCache {
					t.Errorf("Cache-Control = %q, want %q", got, wantCache)
				}
				// No redirect of any kind, and nothing from the request reflected.
				if loc := resp.Header.Peek("Location"); loc != nil {
					t.Errorf("Location = %q, want none", loc)
				}
				for k, v := range resp.Header.All() {
					lv := bytes.ToLower(v)
					if bytes.Contains(lv, []byte("evil.example")) || bytes.Contains(lv, []byte("nope")) {
						t.Errorf("header %s: %q reflects the request", k, v)
					}
				}
			})
		}
	}
}

// onConn runs one request on a RequestCtx for a connection opened now, as fasthttp's server
// prepares it (Init2 stamps the connection's time).
func onConn(t testing.TB, h fasthttp.RequestHandler, method, uri string) *fasthttp.RequestCtx {
	t.Helper()
	c, other := net.Pipe()
	t.Cleanup(func() { _ = c.Close(); _ = other.Close() })
	ctx := new(fasthttp.RequestCtx)
	ctx.Init2(c, nil, false)
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	h(ctx)
	return ctx
}

func TestDraining(t *testing.T) {
	t.Parallel()
	for _, r := range routers {
		drain := new(Drain)
		h := r.new(drain)
		kept := onConn(t, h, "GET", "/health") // a connection from before the drain
		if kept.Response.StatusCode() != 200 || kept.Response.ConnectionClose() {
			t.Fatalf("%s: GET /health before the drain: %d, Connection: close %v", r.name, kept.Response.StatusCode(), kept.Response.ConnectionClose())
		}
		drain.Start()
		if !kept.ConnTime().Before(*drain.since.Load()) {
			t.Fatal("the clock did not move between the connection and the drain")
		}

		// A health check on a new connection learns the instance is going away.
		for _, method := range []string{"GET", "HEAD"} {
			ctx := onConn(t, h, method, "/health")
			if got := ctx.Response.StatusCode(); got != fasthttp.StatusServiceUnavailable {
				t.Errorf("%s: %s /health on a new connection while draining: status = %d, want 503", r.name, method, got)
			}
			if got := string(ctx.Response.Body()); got != `{"status":"draining"}` {
				t.Errorf("%s: %s /health while draining: body = %q", r.name, method, got)
			}
			if got := string(ctx.Response.Header.Peek("Cache-Control")); got != "no-store" {
				t.Errorf("%s: %s /health while draining: Cache-Control = %q", r.name, method, got)
			}
			if !ctx.Response.ConnectionClose() {
				t.Errorf("%s: %s /health while draining: no Connection: close", r.name, method)
			}
		}
		// A request on a connection from before the drain gets its usual answer, and closes it.
		kept.Response.Reset()
		h(kept)
		if kept.Response.StatusCode() != 200 || !kept.Response.ConnectionClose() {
			t.Errorf("%s: GET /health on a connection from before the drain: %d, Connection: close %v; want 200 and close",
				r.name, kept.Response.StatusCode(), kept.Response.ConnectionClose())
		}
		// Everything else is served as usual while draining, and closes its connection.
		if ctx := onConn(t, h, "GET", "/nope"); ctx.Response.StatusCode() != 404 || !ctx.Response.ConnectionClose() {
			t.Errorf("%s: GET /nope while draining: %d, Connection: close %v", r.name, ctx.Response.StatusCode(), ctx.Response.ConnectionClose())
		}
		if ctx := onConn(t, h, "POST", "/health"); ctx.Response.StatusCode() != 405 || !ctx.Response.ConnectionClose() {
			t.Errorf("%s: POST /health while draining: %d, Connection: close %v", r.name, ctx.Response.StatusCode(), ctx.Response.ConnectionClose())
		}
		// Start again changes nothing: the drain began once.
		since := drain.since.Load()
		drain.Start()
		if drain.since.Load() != since {
			t.Errorf("%s: a second Start moved the drain's beginning", r.name)
		}
	}
}
