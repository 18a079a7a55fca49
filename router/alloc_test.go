package router

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// The hot paths must not allocate: at tens of thousands of requests per second every
// allocation shows up as GC work. These tests fail on the first allocation; the benchmarks
// below report the cost (go test -bench . -benchmem ./router).
var hotPaths = []struct{ name, method, uri string }{
	{"GET health", "GET", "/health"},
	{"HEAD health", "HEAD", "/health"},
	{"GET not found", "GET", "/nope"},
	{"POST health", "POST", "/health"},
}

// reuse prepares a RequestCtx the way fasthttp's server does between requests on one
// connection: the request stays parsed and the response is reset before each call.
func reuse(method, uri string) *fasthttp.RequestCtx {
	ctx := new(fasthttp.RequestCtx)
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	return ctx
}

func TestZeroAllocs(t *testing.T) {
	for _, r := range routers {
		for _, draining := range []bool{false, true} {
			drain := new(Drain)
			h := r.new(drain)
			if draining {
				drain.Start() // a bare RequestCtx's connection predates it: 200 and close
			}
			for _, p := range hotPaths {
				ctx := reuse(p.method, p.uri)
				allocs := testing.AllocsPerRun(1000, func() {
					ctx.Response.Reset()
					h(ctx)
				})
				if allocs != 0 {
					t.Errorf("%s: %s (draining %v): %v allocations per request, want 0", r.name, p.name, draining, allocs)
				}
			}
			if draining { // and the 503 a new connection gets
				ctx := onConn(t, h, "GET", "/health")
				allocs := testing.AllocsPerRun(1000, func() {
					ctx.Response.Reset()
					h(ctx)
				})
				if ctx.Response.StatusCode() != 503 || allocs != 0 {
					t.Errorf("%s: GET /health on a new connection while draining: %d, %v allocations, want 503 and 0",
						r.name, ctx.Response.StatusCode(), allocs)
				}
			}
		}
	}
}

// BenchmarkRoutes runs the hot paths through both routers: "New" is fasthttp/router in the
// default build, "switch" the floppy build's comparison.
func BenchmarkRoutes(b *testing.B) {
	for _, r := range routers {
		h := r.new(new(Drain))
		for _, p := range hotPaths {
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
