package router

import (
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Drain is the server's shutdown drain as the handlers see it. The zero value is serving;
// Start begins the drain, once. While it lasts:
//
//   - GET and HEAD /health answer 503 on connections opened since it began. Health
//     checkers (the kubelet, load balancers, Docker's HEALTHCHECK) open a connection per
//     check, so they see the instance go out of rotation at once.
//   - Requests on connections that were already open get their usual answer, with
//     Connection: close. Their clients are in the middle of using this instance: they get
//     what they asked for and open their next connection wherever the load balancer sends
//     it now, instead of a 503 on every request until the server stops.
//   - Every other answer closes its connection too, so kept-alive clients move on before
//     the listener closes rather than racing the close of an idle connection.
//
// The handlers read it with one atomic load per request and allocate nothing.
type Drain struct {
	since atomic.Pointer[time.Time]
}

// Start begins the drain now; later calls change nothing.
func (d *Drain) Start() {
	now := time.Now()
	d.since.CompareAndSwap(nil, &now)
}

// Active reports whether the drain has begun.
func (d *Drain) Active() bool { return d.since.Load() != nil }

// refuses reports whether a health check on ctx's connection must be told the instance is
// draining: the drain has begun, and the connection was opened after it did. The server's
// connections say when they were opened (Opened): one that idled and came back is new to
// fasthttp (RequestCtx.ConnTime), not to the drain.
func (d *Drain) refuses(ctx *fasthttp.RequestCtx) bool {
	since := d.since.Load()
	if since == nil {
		return false
	}
	opened := ctx.ConnTime()
	if c, ok := ctx.Conn().(interface{ Opened() time.Time }); ok {
		opened = c.Opened()
	}
	return !opened.Before(*since)
}

// closing wraps next so that, while draining, every answer closes its connection.
func (d *Drain) closing(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if d.since.Load() != nil {
			ctx.SetConnectionClose()
		}
		next(ctx)
	}
}
