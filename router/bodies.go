package router

import (
	"bytes"
	"sync"

	"github.com/valyala/fasthttp"
)

// BodyLimit returns how many body bytes the route a request is for reads
// (Route.MaxBodyBytes), from the request's head alone: the server asks before it reads the
// body, so that a body over the route's limit is refused without being read and "Expect:
// 100-continue" is answered for the route. 0 is a route that reads none, or no route. It
// matches path and method exactly as the handler does, and allocates nothing for a target
// in origin form (/path?query), which is what every client but a forward proxy sends.
func (r *Router) BodyLimit(h *fasthttp.RequestHeader) int {
	if len(r.bodies) == 0 {
		return 0
	}
	path, release := requestPath(h)
	defer release()
	method := h.Method()
	for i := range r.bodies {
		if string(path) != r.bodies[i].Path {
			continue
		}
		for _, m := range r.bodies[i].methods() {
			if string(method) == m {
				return r.bodies[i].MaxBodyBytes
			}
		}
	}
	return 0
}

// requestPath returns the path the handler will route h's request by: what
// fasthttp.URI.PathOriginal gives once the server has parsed the target. An origin-form
// target is cut at its query or fragment here, as fasthttp cuts it; any other form
// (absolute-form, a target starting with //) is parsed by fasthttp itself, so the two never
// disagree. Call release when done with the path.
func requestPath(h *fasthttp.RequestHeader) (path []byte, release func()) {
	target := h.RequestURI()
	if len(target) > 1 && target[0] == '/' && target[1] != '/' {
		if i := bytes.IndexAny(target, "?#"); i >= 0 {
			target = target[:i]
		}
		return target, noRelease
	}
	u := uris.Get().(*fasthttp.URI)
	if err := u.Parse(h.Host(), target); err != nil {
		uris.Put(u)
		return nil, noRelease // the server refuses it with 400 before any body is read
	}
	return u.PathOriginal(), func() { uris.Put(u) }
}

var (
	uris      = sync.Pool{New: func() any { return new(fasthttp.URI) }}
	noRelease = func() {}
)

// bodyless wraps the handler of a route that reads no body so that it never sees one: the
// body a request carried (read up to MAX_BODY_BYTES, and thrown away) is dropped before the
// handler runs. A handler that reads a body it did not declare would otherwise get it
// without "Expect: 100-continue" and miss it with, and only a proxy in front would show it.
func bodyless(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if len(ctx.Request.Body()) > 0 {
			ctx.Request.ResetBody()
		}
		next(ctx)
	}
}
