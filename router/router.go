// Package router holds getsmall's HTTP surface: the routes (routes.go, the one list of
// them), their handlers, and the answers to every other request. It owns no state: whether
// the server is draining is read from a Drain the caller passes in, so tests can start one
// and several routers can coexist.
//
// New routes with fasthttp/router. Built with the floppy tag (the floppy build,
// docs/floppy.md), New routes with a comparison of path and method instead: the same
// answers without fasthttp/router, whose import brings regexp, its Unicode tables and the
// radix tree (77 to 92 KB of the UPX-packed binary, depending on the platform). Both read
// the same routes, and the tests run both in every build.
package router

import (
	"strings"

	"github.com/getsmall/getsmall/metrics"
	"github.com/valyala/fasthttp"
)

// HealthPath is the health check's path: the images' HEALTHCHECK, the Kubernetes probes and
// load balancers ask it.
const HealthPath = "/health"

// Options is what the handlers may read. The zero value serves, never drains, and reports
// the version "dev".
type Options struct {
	// Drain is the server's shutdown drain (nil: never draining).
	Drain *Drain
	// Version is the build's version, for routes that report it.
	Version string
	// Routes are served after routes.go's. A program that embeds the service adds its own
	// here; the end-to-end suites build a binary with a body route this way.
	Routes []Route
	// Metrics is where a route adds measurements of its own. The serve command serves it
	// with the server's at -metrics-addr; nil (and the floppy build) counts and serves
	// nothing.
	Metrics *metrics.Registry
}

// withDefaults fills what the zero value leaves empty, so handlers need no nil checks.
func (o Options) withDefaults() Options {
	if o.Drain == nil {
		o.Drain = new(Drain)
	}
	if o.Version == "" {
		o.Version = "dev"
	}

	return o
}

// Route is one path the service answers and its handler.
type Route struct {
	// Path is matched exactly as the request sent it: no cleaning, no case folding, no
	// trailing-slash forgiveness (a redirect would reflect the request's Host header).
	Path string
	// Methods are the methods Handle answers; nil means GET and HEAD. Every other method
	// gets 405 with an Allow header listing these.
	Methods []string
	// Handle answers the request. For HEAD, fasthttp drops the body itself and keeps its
	// Content-Length.
	Handle fasthttp.RequestHandler
	// MaxBodyBytes is the largest request body Handle reads, in bytes. 0, the default, is a
	// route that reads none: Handle never sees a body, and a request that carries one gets
	// the answer it would get without it. A route that reads a body gets the whole of it;
	// a longer one is answered 413 before a byte past the limit is read, and "Expect:
	// 100-continue" is answered 100 within the limit and 413 over it. The server's
	// MAX_BODY_BYTES caps every route's limit.
	MaxBodyBytes int
}

// methods returns the methods the route answers.
func (r Route) methods() []string {
	if r.Methods == nil {
		return []string{fasthttp.MethodGet, fasthttp.MethodHead}
	}
	return r.Methods
}

// notAllowed returns the route's 405 handler, with its Allow value built once so that a
// request copies bytes instead of joining strings.
func (r Route) notAllowed() fasthttp.RequestHandler {
	allow := []byte(strings.Join(r.methods(), ", "))
	return func(ctx *fasthttp.RequestCtx) {
		ctx.SetStatusCode(fasthttp.StatusMethodNotAllowed)
		ctx.Response.Header.SetCanonical(headerAllow, allow) // RFC 9110 requires it on a 405
		ctx.Response.Header.SetContentTypeBytes(contentTypeText)
		ctx.SetBody(bodyNotAllowed)
	}
}

// Response bodies and header values are package-level byte slices so that the handlers copy
// them into fasthttp's reusable buffers instead of converting strings on every request: that
// is what keeps a request at zero allocations.
var (
	bodyNotFound    = []byte("404 not found\n")
	bodyNotAllowed  = []byte("405 method not allowed\n")
	contentTypeJSON = []byte("application/json")
	contentTypeText = []byte("text/plain; charset=utf-8")
	headerCache     = []byte("Cache-Control")
	valueNoStore    = []byte("no-store")
	headerAllow     = []byte("Allow")
)

// Router is the service's HTTP surface, built once from the routes.
type Router struct {
	// Handler answers every request: the routes, 405 for their other methods, 404
	// elsewhere, with the drain's answers (see Drain).
	Handler fasthttp.RequestHandler
	routes  []Route // every route served, routes.go's then Options.Routes
	bodies  []Route // the ones that read a body
}

// Routes returns every route the router serves.
func (r *Router) Routes() []Route { return r.routes }

// Route returns the path of the route ctx's request is for, "" for none: the label the
// request metrics count it under. It matches the path as the handler does.
func (r *Router) Route(ctx *fasthttp.RequestCtx) string {
	path := ctx.Request.URI().PathOriginal()
	for i := range r.routes {
		if string(path) == r.routes[i].Path {
			return r.routes[i].Path
		}
	}
	return ""
}

// build makes the Router from the routes, dispatching with dispatch: fasthttp/router in
// the default build, linear in the floppy build.
func build(o Options, dispatch func([]Route) fasthttp.RequestHandler) *Router {
	o = o.withDefaults()
	rt := &Router{}
	for _, r := range append(routes(o), o.Routes...) {
		if r.MaxBodyBytes > 0 {
			rt.bodies = append(rt.bodies, r)
		} else {
			r.Handle = bodyless(r.Handle)
		}
		rt.routes = append(rt.routes, r)
	}
	rt.Handler = o.Drain.closing(dispatch(rt.routes))
	return rt
}

// linear routes the way New configures fasthttp/router, with no router: an exact match of
// the request's path as sent, then of its method, so every request gets the same answer
// from both builds. A linear scan is what a handful of routes needs.
func linear(routes []Route) fasthttp.RequestHandler {
	type entry struct {
		Route
		methods    []string
		notAllowed fasthttp.RequestHandler
	}
	var table []entry
	for _, r := range routes {
		table = append(table, entry{r, r.methods(), r.notAllowed()})
	}
	return func(ctx *fasthttp.RequestCtx) {
		path := ctx.Request.URI().PathOriginal()
		for i := range table {
			if string(path) != table[i].Path {
				continue
			}
			for _, m := range table[i].methods {
				if string(ctx.Method()) == m {
					table[i].Handle(ctx)
					return
				}
			}
			table[i].notAllowed(ctx)
			return
		}
		notFound(ctx)
	}
}

// notFound answers every other path with a fixed body: nothing from the request is echoed.
func notFound(ctx *fasthttp.RequestCtx) {
	ctx.SetStatusCode(fasthttp.StatusNotFound)
	ctx.Response.Header.SetContentTypeBytes(contentTypeText)
	ctx.SetBody(bodyNotFound)
}
