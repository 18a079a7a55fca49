package router

import (
	"sync/atomic"
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
		var draining atomic.Bool
		h := r.new(&draining)
		for _, p := range hotPaths {
			ctx := reuse(p.method, p.uri)
			allocs := testing.AllocsPerRun(1000, func() {
				ctx.Response.Reset()
				h(ctx)
			})
			if allocs != 0 {
				t.Errorf("%s: %s: %v allocations per request, want 0", r.name, p.name, allocs)
			}
		}
	}
}

// BenchmarkRoutes runs the hot paths through both routers: "New" is fasthttp/router in the
// default build, "switch" the floppy build's comparison.
func BenchmarkRoutes(b *testing.B) {
	for _, r := range routers {
		var draining atomic.Bool
		h := r.new(&draining)
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
