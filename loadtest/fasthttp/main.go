// Command fasthttp is the load test's bare-fasthttp peer: fasthttp at the version the root
// go.mod pins, with getsmall's timeouts and no Server header, but no router, no listener or
// connection wrapper and no strict-HTTP checks: the difference to getsmall is what getsmall's
// own layers cost. Measured only, never shipped.
package main

import (
	"context"
	"net"
	"sync/atomic"

	"github.com/valyala/fasthttp"

	"github.com/getsmall/getsmall/loadtest/internal/peer"
)

func main() { peer.Main("fasthttp", serve) }

func serve(o peer.Options, draining *atomic.Bool) (func(context.Context) error, <-chan error, error) {
	srv := &fasthttp.Server{
		Handler:               handler(draining),
		ReadTimeout:           peer.ReadTimeout,
		WriteTimeout:          peer.WriteTimeout,
		IdleTimeout:           o.IdleTimeout,
		NoDefaultServerHeader: true,
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, nil, err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	return srv.ShutdownWithContext, served, nil
}

// handler answers /health with the bytes getsmall sends, and 405 or 404 otherwise.
func handler(draining *atomic.Bool) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) != "/health" {
			ctx.Error("404 not found\n", fasthttp.StatusNotFound)
			return
		}
		if !ctx.IsGet() && !ctx.IsHead() {
			ctx.Error("405 method not allowed\n", fasthttp.StatusMethodNotAllowed) // Error resets the headers: Allow after it
			ctx.Response.Header.Set("Allow", "GET, HEAD")
			return
		}
		ctx.SetContentType("application/json")
		ctx.Response.Header.Set("Cache-Control", "no-store")
		if draining.Load() {
			ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
			ctx.SetBody(peer.BodyDraining)
			return
		}
		ctx.SetBody(peer.BodyOK)
	}
}
