//go:build !floppy

package router

import (
	fasthttprouter "github.com/fasthttp/router"
	"github.com/valyala/fasthttp"
)

// New returns the Router of the whole service: the routes of routes.go and Options.Routes,
// 405 for their other methods, 404 elsewhere. While the drain is active, GET and HEAD
// /health answer 503 on new connections so that load balancers stop sending traffic, and
// every answer closes its connection (see Drain).
func New(o Options) *Router {
	return build(o, radix)
}

// radix dispatches with fasthttp/router, configured to answer as linear does.
func radix(routes []Route) fasthttp.RequestHandler {
	r := fasthttprouter.New()
	// router.New turns all of these on. The redirects build an absolute Location from the
	// request's Host header (a reflected value) and turn /HEALTH or /health/ into a 301, and
	// the automatic OPTIONS and 405 answers add OPTIONS to Allow and allocate per request.
	// The service answers those cases itself below.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = false
	r.HandleOPTIONS = false
	for _, route := range routes {
		for _, m := range route.methods() {
			r.Handle(m, route.Path, route.Handle) // the router does not derive HEAD from GET
		}
		// The wildcard-method tree is searched only after the method's own tree missed, so
		// it catches every other method, including ones the router has no name for.
		r.ANY(route.Path, route.notAllowed())
	}
	r.NotFound = notFound
	return r.Handler
}
