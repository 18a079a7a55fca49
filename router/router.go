// Package router holds getsmall's HTTP surface: the /health route and the answers to every
// other request. It owns no state; whether the server is draining is read from a flag the
// caller passes in, so tests can flip it and several routers can coexist.
package router

import (
	"sync/atomic"

	fasthttprouter "github.com/fasthttp/router"
	"github.com/valyala/fasthttp"
)

// HealthPath is the only route the service answers with something other than 404.
const HealthPath = "/health"

// Response bodies and header values are package-level byte slices so that the handlers copy
// them into fasthttp's reusable buffers instead of converting strings on every request: that
// is what keeps a request at zero allocations.
var (
	bodyOK           = []byte(`{"status":"ok"}`)
	bodyDraining     = []byte(`{"status":"draining"}`)
	bodyNotFound     = []byte("404 not found\n")
	bodyNotAllowed   = []byte("405 method not allowed\n")
	contentTypeJSON  = []byte("application/json")
	contentTypeText  = []byte("text/plain; charset=utf-8")
	headerCache      = []byte("Cache-Control")
	valueNoStore     = []byte("no-store")
	headerAllow      = []byte("Allow")
	valueAllowHealth = []byte("GET, HEAD")
)

// New returns the request handler for the whole service. While draining reports true,
// GET and HEAD /health answer 503 so that load balancers stop sending traffic, and
// everything else is served as usual.
func New(draining *atomic.Bool) fasthttp.RequestHandler {
	r := fasthttprouter.New()
	// router.New turns all of these on. The redirects build an absolute Location from the
	// request's Host header (a reflected value) and turn /HEALTH or /health/ into a 301, and
	// the automatic OPTIONS and 405 answers add OPTIONS to Allow and allocate per request.
	// The service answers those cases itself below.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = false
	r.HandleOPTIONS = false

	h := health{draining: draining}
	r.GET(HealthPath, h.serve)
	r.HEAD(HealthPath, h.serve) // the router does not derive HEAD from GET
	// The wildcard-method tree is searched only after the method's own tree missed, so it
	// catches every other method on /health, including ones the router has no name for.
	r.ANY(HealthPath, methodNotAllowed)
	r.NotFound = notFound
	return r.Handler
}

type health struct {
	draining *atomic.Bool
}

// serve answers GET and HEAD; fasthttp drops the body of a HEAD response itself and keeps
// its Content-Length.
func (h health) serve(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.SetContentTypeBytes(contentTypeJSON)
	ctx.Response.Header.SetCanonical(headerCache, valueNoStore)
	if h.draining.Load() {
		ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		ctx.SetBody(bodyDraining)
		return
	}
	ctx.SetBody(bodyOK)
}

// methodNotAllowed answers any method other than GET and HEAD on /health. RFC 9110 requires
// the Allow header on a 405.
func methodNotAllowed(ctx *fasthttp.RequestCtx) {
	ctx.SetStatusCode(fasthttp.StatusMethodNotAllowed)
	ctx.Response.Header.SetCanonical(headerAllow, valueAllowHealth)
	ctx.Response.Header.SetContentTypeBytes(contentTypeText)
	ctx.SetBody(bodyNotAllowed)
}

// notFound answers every other path with a fixed body: nothing from the request is echoed.
func notFound(ctx *fasthttp.RequestCtx) {
	ctx.SetStatusCode(fasthttp.StatusNotFound)
	ctx.Response.Header.SetContentTypeBytes(contentTypeText)
	ctx.SetBody(bodyNotFound)
}
