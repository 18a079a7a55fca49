// Package router holds getsmall's HTTP surface: the /health route and the answers to every
// other request. It owns no state; whether the server is draining is read from a Drain the
// caller passes in, so tests can start one and several routers can coexist.
//
// New routes with fasthttp/router. Built with the floppy tag (the floppy build,
// docs/floppy.md), New routes with a comparison of path and method instead: the same
// answers without fasthttp/router, whose import brings regexp, its Unicode tables and the
// radix tree (77 to 92 KB of the UPX-packed binary, depending on the platform). A route
// goes into both, and into the tests' table, which runs against both in every build.
package router

import (
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

// newSwitch routes the way fasthttp/router is configured to in the default build, with
// no router: an exact match of the request's path as sent (no cleaning, no case folding,
// no trailing-slash forgiveness) and a method check, so every request gets the same answer
// from both builds.
func newSwitch(drain *Drain) fasthttp.RequestHandler {
	h := health{drain: drain}
	return drain.closing(func(ctx *fasthttp.RequestCtx) {
		switch {
		case string(ctx.Request.URI().PathOriginal()) != HealthPath:
			notFound(ctx)
		case ctx.IsGet(), ctx.IsHead():
			h.serve(ctx)
		default:
			methodNotAllowed(ctx)
		}
	})
}

type health struct {
	drain *Drain
}

// serve answers GET and HEAD; fasthttp drops the body of a HEAD response itself and keeps
// its Content-Length.
func (h health) serve(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.SetContentTypeBytes(contentTypeJSON)
	ctx.Response.Header.SetCanonical(headerCache, valueNoStore)
	if h.drain.refuses(ctx) {
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
