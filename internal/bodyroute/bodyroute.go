// Package bodyroute is a route that reads a request body, for the tests of how the server
// handles bodies: the product's own routes read none, and a fork's first route that does
// must find the limits, "Expect: 100-continue", chunked bodies and slow clients already
// tested. The server's tests, the conformance suite and the proxies' test serve it.
package bodyroute

import (
	"github.com/getsmall/getsmall/router"
	"github.com/valyala/fasthttp"
)

// Path is where Echo answers.
const Path = "/echo"

// Limit is Echo's MaxBodyBytes in the test binaries: small enough that a test sends one
// byte over it cheaply, large enough for a body of several chunks.
const Limit = 1024

var got = []byte("got:")

// Echo returns POST and PUT Path, reading bodies of up to limit bytes and answering 200
// "got:" followed by the body, as a fork's first body route would (issue 24's reproduction
// was this route).
func Echo(limit int) router.Route {
	return router.Route{
		Path:         Path,
		Methods:      []string{fasthttp.MethodPost, fasthttp.MethodPut},
		MaxBodyBytes: limit,
		Handle: func(ctx *fasthttp.RequestCtx) {
			ctx.SetContentType("text/plain; charset=utf-8")
			ctx.Response.AppendBody(got)
			ctx.Response.AppendBody(ctx.PostBody())
		},
	}
}
