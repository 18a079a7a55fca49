// Command nbio is the load test's event-loop peer: getsmall's /health answers (the net/http
// peer's handler) served by github.com/lesismal/nbio's nbhttp engine at its defaults, whose
// pollers read every connection without a goroutine of its own. It shows what an event loop
// gives per core and per idle connection. Measured only, never shipped.
package main

import (
	"context"
	"sync/atomic"

	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"

	"github.com/getsmall/getsmall/loadtest/internal/peer"
)

func main() { peer.Main("nbio", serve) }

func serve(o peer.Options, draining *atomic.Bool) (func(context.Context) error, <-chan error, error) {
	logging.SetLevel(logging.LevelError) // its start-up lines would go to stdout, which the study discards anyway
	engine := nbhttp.NewEngine(nbhttp.Config{
		Network:       "tcp",
		Addrs:         []string{o.Addr},
		Handler:       peer.Handler(draining),
		WriteTimeout:  peer.WriteTimeout,
		KeepaliveTime: o.IdleTimeout,
	})
	if err := engine.Start(); err != nil {
		return nil, nil, err
	}
	// The engine serves from its own goroutines and has no error to report later.
	return engine.Shutdown, make(chan error), nil
}
