// Command nethttp is the load test's baseline: the same /health semantics as getsmall
// (200 JSON on GET and HEAD, 405 with Allow for other methods, 404 elsewhere, no Server
// header, 503 while draining) served by the standard library's net/http. It exists only
// for comparison and is never shipped.
package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"

	"github.com/getsmall/getsmall/loadtest/internal/peer"
)

func main() { peer.Main("nethttp", serve) }

func serve(o peer.Options, draining *atomic.Bool) (func(context.Context) error, <-chan error, error) {
	srv := &http.Server{
		Handler:           peer.Handler(draining),
		ReadTimeout:       peer.ReadTimeout,
		ReadHeaderTimeout: peer.ReadTimeout,
		WriteTimeout:      peer.WriteTimeout,
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    4096,
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, nil, err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	return func(ctx context.Context) error {
		if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}, served, nil
}
