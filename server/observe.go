//go:build !floppy

package server

import (
	"errors"
	"maps"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getsmall/getsmall/accesslog"
	"github.com/getsmall/getsmall/metrics"
	"github.com/valyala/fasthttp"
)

// observer counts what the server answers into the metrics and writes the access log,
// when Config.MetricsAddr or Config.LogRequests asks for them. Neither costs an allocation
// per request; with both off there is no observer and nothing is measured.
type observer struct {
	metrics *metrics.Registry // nil: metrics off
	log     *accesslog.Log    // nil: log off
	route   func(*fasthttp.RequestCtx) string

	mu        sync.Mutex // creates series; reads go through the maps' atomic pointers
	requests  atomic.Pointer[map[requestKey]*metrics.Counter]
	durations atomic.Pointer[map[string]*metrics.Histogram]
	refusals  map[int]*metrics.Counter // the answers the server gives itself, by status
	overCap   *metrics.Counter
}

// requestKey is one series of http_requests_total. Every label has few values: the routes,
// the methods HTTP names (others count as "other") and the statuses.
type requestKey struct {
	route, method string
	status        int
}

// refusalStatuses are the answers the server gives a request itself, before or instead of
// a route: a malformed request, a slow one, a body or head too large, the cap, a version.
var refusalStatuses = []int{400, 408, 413, 431, 503, 505}

// observable says whether this build has metrics and the access log: the floppy build
// leaves them out.
const observable = true

// newObserver makes the observer the Server asks for (a MetricsListener, or
// Config.LogRequests), or nil when it asks for none.
func (s *Server) newObserver(l *listener) (*observer, error) {
	c := s.Config
	if s.MetricsListener == nil && !c.LogRequests {
		return nil, nil
	}
	if s.Route == nil {
		s.Route = func(*fasthttp.RequestCtx) string { return "" }
	}
	o := &observer{route: s.Route}
	o.requests.Store(&map[requestKey]*metrics.Counter{})
	o.durations.Store(&map[string]*metrics.Histogram{})
	if c.LogRequests {
		if s.AccessLog == nil {
			return nil, errors.New("-log-requests: no writer for the access log")
		}
		o.log = accesslog.New(s.AccessLog)
	}
	if s.MetricsListener == nil {
		return o, nil
	}
	if s.Metrics == nil {
		s.Metrics = metrics.NewRegistry()
	}
	r := s.Metrics
	o.metrics = r
	r.Gauge("http_connections_open", "Connections open now, out of http_connections_max.",
		func() float64 { return float64(len(l.slots)) })
	r.Gauge("http_connections_parked", "Connections open now that idled long enough to wait outside fasthttp, at a few KiB each (docs/memory.md).",
		func() float64 { return float64(l.parkedNow.Load()) })
	r.Gauge("http_connections_max", "The connection cap (-max-conns): one more is answered 503 and closed.",
		func() float64 { return float64(cap(l.slots)) })
	r.Gauge("http_connections_busy", "Connections open now that hold a place in a request: in one, or waiting in the server for the next one until they park.",
		func() float64 { return float64(l.busyNow()) })
	r.Gauge("http_connections_busy_max", "Places in a request, each paid for at the costliest connection's memory (docs/memory.md); "+
		"a quarter of them for connections that have completed a request.",
		func() float64 { return float64(l.busyMax()) })
	r.Gauge("http_connections_waiting", "Connections whose request has come and that wait for a place in one.",
		func() float64 { return float64(l.waitingNow()) })
	o.overCap = r.Counter("http_connections_refused_total", "Connections answered 503 and closed because http_connections_max were open, "+
		"or because no place in a request came free within 0.75 s.")
	o.refusals = map[int]*metrics.Counter{}
	for _, code := range refusalStatuses {
		o.refusals[code] = r.Counter("http_refusals_total", "Answers the server gave itself instead of a route: 400 malformed, 408 too slow, "+
			"413 body too large, 431 head too large, 503 over the connection cap, 505 HTTP version.", "status", strconv.Itoa(code))
	}
	r.Gauge("http_draining", "1 once a signal started the drain (/health answers 503 to new connections), else 0.",
		func() float64 {
			if s.Drain.Active() {
				return 1
			}
			return 0
		})
	if c.LogRequests {
		r.CounterFunc("http_access_log_dropped_total", "Access log lines dropped because stdout was slower than the server.", o.log.Dropped)
	}
	return o, nil
}

// wrap measures every request next answers.
func (o *observer) wrap(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		next(ctx)
		o.answered(ctx, time.Since(ctx.Time()), true)
	}
}

// answered counts and logs one answer that took d to make. head says whether the
// request's head was read: a request refused for its head (400, 431, 408 before the end of
// it) has no method or path to count or log, only the defaults fasthttp reports for one.
func (o *observer) answered(ctx *fasthttp.RequestCtx, d time.Duration, head bool) {
	status := ctx.Response.StatusCode()
	if o.metrics != nil {
		route, method := "none", "other"
		if head {
			method = methodLabel(ctx.Method())
			if r := o.route(ctx); r != "" {
				route = r
			}
		}
		o.counter(requestKey{route, method, status}).Inc()
		o.histogram(route).Observe(d)
	}
	if o.log != nil {
		e := accesslog.Entry{Time: ctx.Time(), Remote: remote(ctx), Status: status, Bytes: len(ctx.Response.Body()), Duration: d}
		if e.Time.IsZero() { // a request fasthttp could not read: the time of its answer
			e.Time = time.Now()
		}
		if head {
			e.Method, e.Path = ctx.Method(), ctx.Request.URI().PathOriginal()
		}
		if ctx.IsHead() {
			e.Bytes = 0
		}
		var line [256]byte
		o.log.Add(accesslog.AppendLine(line[:0], &e))
	}
}

// refused counts an answer the server gave itself. The request is counted and logged
// where it is answered (answered), the connection over the cap here alone.
func (o *observer) refused(code int) {
	if o != nil && o.metrics != nil {
		if c := o.refusals[code]; c != nil {
			c.Inc()
		}
	}
}

// refusedOverCap counts a connection answered 503 because the cap was full.
func (o *observer) refusedOverCap() {
	if o != nil && o.metrics != nil {
		o.overCap.Inc()
		o.refused(fasthttp.StatusServiceUnavailable)
	}
}

// counter returns the series of key, making it on its first request.
func (o *observer) counter(key requestKey) *metrics.Counter {
	return seriesOf(&o.mu, &o.requests, key, func() *metrics.Counter {
		return o.metrics.Counter("http_requests_total", "Requests answered, by route (none: no route), method and status.",
			"route", key.route, "method", key.method, "status", strconv.Itoa(key.status))
	})
}

// histogram returns route's request-duration histogram, making it on its first request.
func (o *observer) histogram(route string) *metrics.Histogram {
	return seriesOf(&o.mu, &o.durations, route, func() *metrics.Histogram {
		return o.metrics.Histogram("http_request_duration_seconds", "Time from a request read to its answer made, by route; "+
			"reading and writing are not in it.", metrics.DurationBuckets, "route", route)
	})
}

// seriesOf looks key up in the map series points to, without a lock, and on a miss makes
// its series under mu and stores a copy of the map with it: a request finds its series
// with one atomic load and a map read, and a series is made once.
func seriesOf[K comparable, V any](mu *sync.Mutex, series *atomic.Pointer[map[K]V], key K, make func() V) V {
	if v, ok := (*series.Load())[key]; ok {
		return v
	}
	mu.Lock()
	defer mu.Unlock()
	old := *series.Load()
	if v, ok := old[key]; ok {
		return v
	}
	next := maps.Clone(old)
	next[key] = make()
	series.Store(&next)
	return next[key]
}

// close writes out the access log's waiting lines, for at most a second, and says what it
// wrote and dropped.
func (o *observer) close(logf func(string, ...any)) {
	if o == nil || o.log == nil {
		return
	}
	complete := o.log.Close(time.Second)
	logf("access log: %d lines written, %d dropped because stdout was slower than the server%s",
		o.log.Written(), o.log.Dropped(), map[bool]string{false: " (stdout stalled: the last ones were not written)"}[complete])
}

// methodLabel is the method as a metric label: the ones HTTP names, and "other" for the
// rest, so that a client cannot make new series with made-up methods.
func methodLabel(m []byte) string {
	switch string(m) {
	case "GET":
		return "GET"
	case "HEAD":
		return "HEAD"
	case "POST":
		return "POST"
	case "PUT":
		return "PUT"
	case "DELETE":
		return "DELETE"
	case "PATCH":
		return "PATCH"
	case "OPTIONS":
		return "OPTIONS"
	case "TRACE":
		return "TRACE"
	case "CONNECT":
		return "CONNECT"
	}
	return "other"
}

// remote is the client's address, without allocating.
func remote(ctx *fasthttp.RequestCtx) netip.AddrPort {
	if a, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort()
	}
	return netip.AddrPort{}
}
