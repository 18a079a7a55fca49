//go:build floppy

package router

import (
	"github.com/valyala/fasthttp"
)

// New returns the request handler for the whole service. While drain is active, GET and
// HEAD /health answer 503 on new connections so that load balancers stop sending traffic,
// and every answer closes its connection (see Drain). This is the floppy build's New: no
// fasthttp/router (see the package documentation).
func New(drain *Drain) fasthttp.RequestHandler {
	return newSwitch(drain)
}
