//go:build !floppy

package server

import (
	"context"
	"time"

	"github.com/getsmall/getsmall/metrics"
	"github.com/valyala/fasthttp"
)

// scrapeServer serves the metrics on Server.MetricsListener, a listener of their own: the
// service's port never answers /metrics, so what is exposed to clients does not grow, and a
// NetworkPolicy or a firewall can open one port to the scraper alone.
type scrapeServer struct {
	srv  *fasthttp.Server
	done chan error
}

// scrapeConns bounds the scrapers served at once: one or two scrape a service.
const scrapeConns = 8

// serveMetrics starts serving the metrics on MetricsListener, when there is one.
func (s *Server) serveMetrics() *scrapeServer {
	ln := s.MetricsListener
	if ln == nil {
		return nil
	}
	sc := &scrapeServer{done: make(chan error, 1), srv: &fasthttp.Server{
		Handler:               metricsHandler(s.Metrics),
		ReadTimeout:           5 * time.Second,
		WriteTimeout:          10 * time.Second,
		IdleTimeout:           time.Minute, // longer than a scrape interval, so a scraper keeps its connection
		Concurrency:           scrapeConns,
		ReadBufferSize:        2048,
		NoDefaultServerHeader: true,
		Logger:                discard{},
	}}
	go func() { sc.done <- sc.srv.Serve(ln) }()
	return sc
}

// stop stops serving the metrics, after the service has stopped, within a second.
func (sc *scrapeServer) stop() {
	if sc == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = sc.srv.ShutdownWithContext(ctx)
}

// MetricsPath is where the metrics listener answers: what a scraper is pointed at (the
// Kubernetes manifests' prometheus.io/path annotation is checked against it).
const MetricsPath = "/metrics"

var (
	metricsPath        = []byte(MetricsPath)
	metricsContentType = []byte(metrics.ContentType)
	allowGetHead       = []byte("GET, HEAD")
)

// metricsHandler answers GET and HEAD /metrics with the registry, 405 to other methods
// there and 404 elsewhere, in the service's words.
func metricsHandler(r *metrics.Registry) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.SetContentTypeBytes(contentTypeText)
		switch {
		case string(ctx.Request.URI().PathOriginal()) != string(metricsPath):
			ctx.SetStatusCode(fasthttp.StatusNotFound)
			ctx.SetBodyString("404 not found\n")
		case !ctx.IsGet() && !ctx.IsHead():
			ctx.SetStatusCode(fasthttp.StatusMethodNotAllowed)
			ctx.Response.Header.SetBytesV("Allow", allowGetHead)
			ctx.SetBodyString("405 method not allowed\n")
		default:
			ctx.Response.Header.SetContentTypeBytes(metricsContentType)
			_, _ = r.WriteTo(ctx)
		}
	}
}
