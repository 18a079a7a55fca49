package router

import (
	"testing"

	"github.com/getsmall/getsmall/internal/budget"
	"github.com/valyala/fasthttp"
)

// hotPaths are the requests whose allocations budgets.txt bounds: every method of every
// route, a method a route does not answer, and a path no route has. At tens of thousands
// of requests per second every allocation shows up as GC work.
func hotPaths(t testing.TB) []struct{ name, method, uri string } {
	t.Helper()
	paths := []struct{ name, method, uri string }{{"GET /nope", "GET", "/nope"}}
	for _, r := range routes(testOptions.withDefaults()) {
		for _, m := range r.methods() {
			paths = append(paths, struct{ name, method, uri string }{m + " " + r.Path, m, r.Path})
		}
		paths = append(paths, struct{ name, method, uri string }{"TRACE " + r.Path, "TRACE", r.Path})
	}
	return paths
}

// reuse prepares a RequestCtx the way fasthttp's server does between requests on one
// connection: the request stays parsed and the response is reset before each call.
func reuse(method, uri string) *fasthttp.RequestCtx {
	ctx := new(fasthttp.RequestCtx)
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	return ctx
}

// TestAllocsPerRequest holds every hot path of both routers, serving and draining, to the
// allocs-per-request budget (0: the test fails on the first allocation). The benchmarks
// below report the cost (make bench).
func TestAllocsPerRequest(t *testing.T) {
	budgets, err := budget.Load("../budgets.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, err := budgets.Get("allocs-per-request")
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, h fasthttp.RequestHandler, ctx *fasthttp.RequestCtx) {
		allocs := testing.AllocsPerRun(1000, func() {
			ctx.Response.Reset()
			h(ctx)
		})
		if err := b.Check(int64(allocs + 0.5)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, r := range routers {
		for _, draining := range []bool{false, true} {
			drain := new(Drain)
			h := r.new(Options{Drain: drain, Version: testOptions.Version})
			if draining {
				drain.Start() // a bare RequestCtx's connection predates it: the usual answer, and close
			}
			for _, p := range hotPaths(t) {
				check(r.name+": "+p.name+map[bool]string{true: " (draining)"}[draining], h, reuse(p.method, p.uri))
			}
			if draining { // and the 503 a health check on a new connection gets
				ctx := onConn(t, h, "GET", HealthPath)
				if ctx.Response.StatusCode() != 503 {
					t.Errorf("%s: GET %s on a new connection while draining: %d, want 503", r.name, HealthPath, ctx.Response.StatusCode())
				}
				check(r.name+": GET "+HealthPath+" on a new connection while draining", h, ctx)
			}
		}
	}
	// The server asks every request head for its route's body limit, beside a route that
	// reads bodies.
	rt := New(Options{Routes: bodyRoutes})
	for _, p := range append(hotPaths(t), struct{ name, method, uri string }{"POST /in", "POST", "/in"}) {
		var h fasthttp.RequestHeader
		h.SetMethod(p.method)
		h.SetRequestURI(p.uri)
		allocs := testing.AllocsPerRun(1000, func() { rt.BodyLimit(&h) })
		if err := b.Check(int64(allocs + 0.5)); err != nil {
			t.Errorf("BodyLimit of %s: %v", p.name, err)
		}
	}
}

// BenchmarkRoutes runs the hot paths through both routers: "New" is fasthttp/router in the
// default build, "switch" the floppy build's comparison.
func BenchmarkRoutes(b *testing.B) {
	for _, r := range routers {
		h := r.new(testOptions)
		for _, p := range hotPaths(b) {
			b.Run(r.name+"/"+p.name, func(b *testing.B) {
				ctx := reuse(p.method, p.uri)
				b.ReportAllocs()
				for b.Loop() {
					ctx.Response.Reset()
					h(ctx)
				}
			})
		}
	}
}
