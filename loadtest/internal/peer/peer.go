// Package peer is what the load test's peer servers (loadtest/nethttp, loadtest/fasthttp,
// loadtest/nbio) share: their flags, the /health answers they must give exactly as getsmall
// does, and the wait for SIGTERM. The peers exist only to be measured next to getsmall and
// are never shipped.
package peer

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// The answers' bodies, as getsmall sends them.
var (
	BodyOK       = []byte(`{"status":"ok"}`)
	BodyDraining = []byte(`{"status":"draining"}`)
)

// Timeouts every peer uses, getsmall's defaults, so that no peer is faster for checking less.
const (
	ReadTimeout  = 5 * time.Second
	WriteTimeout = 5 * time.Second
)

// Options are a peer's command line: where it listens and how long an idle keep-alive
// connection may stay (getsmall's default 75 s; make memcost passes 120 s to every server).
type Options struct {
	Addr        string
	IdleTimeout time.Duration
}

// Parse reads a peer's flags; a usage error is returned, not printed twice.
func Parse(name string, args []string) (Options, error) {
	var o Options
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "listen address")
	fs.DurationVar(&o.IdleTimeout, "idle-timeout", 75*time.Second, "how long an idle keep-alive connection is kept")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.IdleTimeout <= 0 {
		return o, fmt.Errorf("-idle-timeout %v: must be positive", o.IdleTimeout)
	}
	return o, nil
}

// Main runs a peer: serve starts it and returns how to stop it, which Main calls on SIGTERM
// or SIGINT with 8 s to finish (getsmall's shutdown timeout). Only Main exits the process.
func Main(name string, serve func(Options, *atomic.Bool) (stop func(context.Context) error, served <-chan error, err error)) {
	err := run(name, serve)
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

func run(name string, serve func(Options, *atomic.Bool) (func(context.Context) error, <-chan error, error)) error {
	o, err := Parse(name, os.Args[1:])
	if err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	var draining atomic.Bool
	stop, served, err := serve(o, &draining)
	if err != nil {
		return err
	}
	select {
	case err := <-served:
		return err
	case <-sig:
	}
	draining.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	return stop(ctx)
}

// Handler answers as getsmall does, routing by exact path as getsmall's router does with
// redirects turned off: net/http's and nbio's peers serve it.
func Handler(draining *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if r.URL.Path != "/health" {
			h.Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte("404 not found\n"))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			h.Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusMethodNotAllowed)
			_, _ = w.Write([]byte("405 method not allowed\n"))
			return
		}
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		body := BodyOK
		if draining.Load() {
			body = BodyDraining
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})
}
