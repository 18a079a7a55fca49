//go:build floppy

package router

import (
	"github.com/valyala/fasthttp"
)

// New returns the request handler for the whole service: the routes of routes.go, 405 for
// their other methods, 404 elsewhere, with the drain's answers (see Drain). This is the
// floppy build's New: no fasthttp/router (see the package documentation).
func New(o Options) fasthttp.RequestHandler {
	return newSwitch(o)
}
