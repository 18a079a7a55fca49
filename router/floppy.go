//go:build floppy

package router

import (
	"sync/atomic"

	"github.com/valyala/fasthttp"
)

// New returns the request handler for the whole service. While draining reports true,
// GET and HEAD /health answer 503 so that load balancers stop sending traffic, and
// everything else is served as usual. This is the floppy build's New: no fasthttp/router
// (see the package documentation).
func New(draining *atomic.Bool) fasthttp.RequestHandler {
	return newSwitch(draining)
}
