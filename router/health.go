package router

import "github.com/valyala/fasthttp"

var (
	bodyOK       = []byte(`{"status":"ok"}`)
	bodyDraining = []byte(`{"status":"draining"}`)
)

// health answers GET and HEAD /health: 200 while serving; 503 to a health checker on a
// connection opened since the drain began (see Drain).
func health(drain *Drain) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.SetContentTypeBytes(contentTypeJSON)
		ctx.Response.Header.SetCanonical(headerCache, valueNoStore)
		if drain.refuses(ctx) {
			ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
			ctx.SetBody(bodyDraining)
			return
		}
		ctx.SetBody(bodyOK)
	}
}
