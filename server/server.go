package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/getsmall/getsmall/metrics"
	"github.com/valyala/fasthttp"
)

// Server is one HTTP server and its shutdown policy. Run it once.
type Server struct {
	Config  Config
	Handler fasthttp.RequestHandler
	// BodyLimit says, from a request's head, how many body bytes the route it is for reads
	// (router.Router.BodyLimit); 0, or a nil BodyLimit, is a route that reads none.
	// Config.MaxBodyBytes caps it.
	BodyLimit func(*fasthttp.RequestHeader) int
	// Route names the route a request is for (router.Router.Route), "" for none: the
	// route label of the request metrics.
	Route func(*fasthttp.RequestCtx) string
	// Drain is started when the first signal arrives, before Config.ShutdownDelay: Handler
	// reads it to answer health checks 503 and close connections after each answer while
	// the server keeps serving (router.Drain).
	Drain interface {
		Start()
		Active() bool
	}
	// Log receives one line per shutdown phase and nothing per request.
	Log *log.Logger
	// MetricsListener is where the metrics are served (GET /metrics), a listener of their
	// own: the serve command opens Config.MetricsAddr. nil: no metrics.
	MetricsListener net.Listener
	// Metrics is what MetricsListener serves: the server adds its own series to it (nil: a
	// registry of its own). The routes may have added theirs.
	Metrics *metrics.Registry
	// AccessLog is where Config.LogRequests writes a line per request (the serve command's
	// stdout).
	AccessLog io.Writer

	linger lingerBounds // zero: LingerTime and LingerBytes; tests shorten them
	obs    *observer    // nil unless metrics or the access log are on
}

// ErrShutdownTimeout means connections were still open when Config.ShutdownTimeout passed.
var ErrShutdownTimeout = errors.New("shutdown timeout passed with connections still open")

// SocketBufferBytes is the kernel's receive and send buffer of every connection (SO_RCVBUF
// and SO_SNDBUF, set on the listener and inherited by each accepted socket; Linux doubles
// the value for its own bookkeeping). Left to autotuning, a client that pipelines requests
// and never reads the answers makes them grow to megabytes per connection (1.3 to 1.8 MB
// measured), and cgroup v2 charges that to the container. A /health request and its
// answer take a few hundred bytes; a fork that moves large bodies should raise it.
const SocketBufferBytes = 4096

// Listen opens addr for TCP on IPv4 and IPv6 ("[::1]:8080" works), unlike
// fasthttp.ListenAndServe, which listens on tcp4 only, with SocketBufferBytes buffers.
func Listen(addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) { err = setBuffers(fd, SocketBufferBytes) }); cerr != nil {
			return cerr
		}
		return err
	}}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		// Keep the cause only: "listen on :8080: address already in use".
		var op *net.OpError
		if errors.As(err, &op) {
			err = op.Err
		}
		var se *os.SyscallError
		if errors.As(err, &se) {
			err = se.Err
		}
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// Run serves on ln until the first value arrives on stop, then shuts down in two phases:
// for Config.ShutdownDelay it keeps serving with Draining set; then it closes the listener
// and waits up to Config.ShutdownTimeout for open connections (in-flight requests are
// answered with Connection: close, idle keep-alive connections are closed). It returns nil
// after a clean shutdown, ErrShutdownTimeout when the deadline passed, and an error at once
// when a second value arrives on stop. Run always returns: the caller exits afterwards.
func (s *Server) Run(ln net.Listener, stop <-chan os.Signal) error {
	l := newListener(ln, s.Config.MaxConns, s.Config.MaxBusy, s.linger)
	obs, err := s.newObserver(l)
	if err != nil {
		_ = ln.Close()
		return err
	}
	s.obs, l.obs = obs, obs
	defer obs.close(s.Log.Printf) // after the service and the metrics have stopped
	scrape := s.serveMetrics()
	defer scrape.stop() // after the service has stopped: the last scrape sees it drained
	srv := s.fasthttpServer()
	l.serve = srv.ServeConn
	go l.sweep(l.stop)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	var sig os.Signal
	select {
	case err := <-served:
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case sig = <-stop:
	}

	s.Drain.Start()
	if d := s.Config.ShutdownDelay; d > 0 {
		s.Log.Printf("%v: draining for %v: /health answers 503 on new connections, every answer closes its connection", sig, d)
		timer := time.NewTimer(d)
		select {
		case <-timer.C:
		case again := <-stop:
			timer.Stop()
			return fmt.Errorf("%v while draining: exiting now", again)
		}
	}

	s.Log.Printf("%v: stopped accepting; waiting up to %v for %d open connections",
		sig, s.Config.ShutdownTimeout, srv.GetOpenConnectionsCount())
	ctx, cancel := context.WithTimeout(context.Background(), s.Config.ShutdownTimeout)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.ShutdownWithContext(ctx) }()
	select {
	case err := <-shut:
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return fmt.Errorf("%w (%v, %d still open)", ErrShutdownTimeout, s.Config.ShutdownTimeout, srv.GetOpenConnectionsCount())
		case err != nil:
			return fmt.Errorf("shutdown: %w", err)
		}
	case again := <-stop:
		return fmt.Errorf("%v while shutting down: exiting now", again)
	}
	s.Log.Printf("stopped cleanly")
	return nil
}

// fasthttpServer maps Config onto fasthttp's settings. fasthttp's defaults are unsafe for
// an exposed service (no timeouts, 262,144 connections), so every limit is set here.
func (s *Server) fasthttpServer() *fasthttp.Server {
	c := s.Config
	handler := s.prompt(strict(s.Handler))
	if s.obs != nil {
		handler = s.obs.wrap(handler)
	}
	return &fasthttp.Server{
		Handler:      handler,
		ReadTimeout:  c.ReadTimeout,
		WriteTimeout: c.WriteTimeout,
		IdleTimeout:  c.IdleTimeout,
		// The listener holds the cap (newListener) and answers over it itself; fasthttp's
		// own count lags it by the instant between a connection's close and its worker's
		// release, so its limit is set where it is never reached.
		Concurrency: 2 * c.MaxConns,
		// The goroutine that served a connection that then parked (park.go) ends half a
		// second later, not fasthttp's ten: its stack is most of what an idle connection
		// cost.
		MaxIdleWorkerDuration:        500 * time.Millisecond,
		MaxRequestBodySize:           c.MaxBodyBytes,
		ReadBufferSize:               c.MaxHeaderBytes, // fasthttp's header size limit
		WriteBufferSize:              writeBufferBytes, // held by every keep-alive connection
		CloseOnShutdown:              true,             // Connection: close on answers during shutdown
		NoDefaultServerHeader:        true,             // no Server header: nothing to fingerprint
		DisablePreParseMultipartForm: true,             // no handler reads forms
		HeaderReceived:               s.headerReceived,
		ExpectHandler:                s.expect(handler),
		ErrorHandler:                 s.answerError,
		Logger:                       discard{}, // one line per phase, none per connection
	}
}

// prompt has fasthttp write an answer at once when the client has already sent more than
// the request it answers. fasthttp holds an answer back while more input is buffered, to
// write several pipelined answers at once, and sends it only when it must wait for the next
// request's head; when that head is complete but its body is not, it waits for the body
// with the answer unsent. A deadline set by the handler makes fasthttp flush after the
// answer (and clear the deadline after it), so prompt sets the one fasthttp would have set,
// only when the connection's framing has more of its input than this request.
func (s *Server) prompt(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		next(ctx)
		if c, ok := ctx.Conn().(*conn); ok && c.framing.ahead() {
			_ = ctx.SetWriteDeadline(time.Now().Add(s.Config.WriteTimeout))
		}
	}
}

// writeBufferBytes is each connection's response buffer. Every answer here is under 200
// bytes, and fasthttp's 4 KiB default is held by every open connection; a larger body is
// written past the buffer, not truncated.
const writeBufferBytes = 512

// discard silences fasthttp's own logger, which writes a line per failed connection.
type discard struct{}

func (discard) Printf(string, ...any) {}
