package router

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// TestHealth checks what the health route itself answers; TestRoutes checks that every
// router dispatches to it, and what the paths and methods around it get.
func TestHealth(t *testing.T) {
	t.Parallel()
	h := health(new(Drain))
	for _, method := range []string{"GET", "HEAD"} {
		got := answerOf(serve(t, h, method, HealthPath))
		want := answer{status: 200, body: `{"status":"ok"}`, contentType: "application/json", cacheControl: "no-store"}
		if got != want {
			t.Errorf("%s %s:\n got %+v\nwant %+v", method, HealthPath, got, want)
		}
	}
}

func TestDraining(t *testing.T) {
	t.Parallel()
	for _, r := range routers {
		drain := new(Drain)
		h := r.new(Options{Drain: drain})
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
