package server

import (
	"bufio"
	"errors"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/bodyroute"
	"github.com/getsmall/getsmall/router"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// bound is how long any step of these tests may take before the test fails instead of
// hanging. It is a safety net, not an assertion about speed.
const bound = 5 * time.Second

// running is a Server serving on an in-memory listener, with its stop channel and the
// eventual result of Run.
type running struct {
	ln    *fasthttputil.InmemoryListener
	stop  chan os.Signal
	done  chan error
	drain *router.Drain
}

// testRouter is the router the tests serve: the product's routes and a route that reads a
// body (internal/bodyroute), as a fork's first body route would.
func testRouter(drain *router.Drain) *router.Router {
	return router.New(router.Options{Drain: drain, Routes: []router.Route{bodyroute.Echo(bodyroute.Limit)}})
}

// newServer is the Server the tests run: testRouter's routes, with logs discarded.
func newServer(cfg Config, drain *router.Drain) *Server {
	rt := testRouter(drain)
	return &Server{Config: cfg, Handler: rt.Handler, BodyLimit: rt.BodyLimit, Drain: drain, Log: log.New(io.Discard, "", 0)}
}

// start runs a Server with cfg on an in-memory listener. A nil handler means the real router.
func start(t *testing.T, cfg Config, handler fasthttp.RequestHandler) *running {
	t.Helper()
	r := &running{
		ln:    fasthttputil.NewInmemoryListener(),
		stop:  make(chan os.Signal, 2),
		done:  make(chan error, 1),
		drain: new(router.Drain),
	}
	s := newServer(cfg, r.drain)
	if handler != nil {
		s.Handler, s.BodyLimit = handler, nil
	}
	go func() { r.done <- s.Run(r.ln, r.stop) }()
	t.Cleanup(func() {
		_ = r.ln.Close()
		select {
		case r.stop <- syscall.SIGKILL: // ends a Run the test left going
		default:
		}
	})
	return r
}

// result waits for Run to return.
func (r *running) result(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		return err
	case <-time.After(bound):
		t.Fatal("Run did not return")
		return nil
	}
}

// send writes a raw request on a new connection and returns the connection and its reader.
func (r *running) send(t *testing.T, req string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := r.ln.Dial()
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(bound))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write: %v", err)
	}
	return c, bufio.NewReader(c)
}

// read parses one response; head says the request was HEAD, so no body follows.
func read(t *testing.T, br *bufio.Reader, head bool) *fasthttp.Response {
	t.Helper()
	resp := new(fasthttp.Response)
	resp.SkipBody = head
	if err := resp.Read(br); err != nil {
		t.Fatalf("read response: %v", err)
	}
	return resp
}

func get(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"
}

func TestServesOverHTTP(t *testing.T) {
	r := start(t, Defaults(), nil)

	_, br := r.send(t, get("/health"))
	resp := read(t, br, false)
	if resp.StatusCode() != 200 || string(resp.Body()) != `{"status":"ok"}` {
		t.Errorf("GET /health = %d %q", resp.StatusCode(), resp.Body())
	}
	if h := resp.Header.Peek("Server"); h != nil {
		t.Errorf("Server header %q, want none", h)
	}

	// HEAD: the same headers, Content-Length of the GET body, and no body on the wire.
	c, br := r.send(t, "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n"+get("/nope"))
	head := read(t, br, true)
	if head.StatusCode() != 200 || head.Header.ContentLength() != len(`{"status":"ok"}`) {
		t.Errorf("HEAD /health = %d, Content-Length %d", head.StatusCode(), head.Header.ContentLength())
	}
	if string(head.Header.ContentType()) != "application/json" || string(head.Header.Peek("Cache-Control")) != "no-store" {
		t.Errorf("HEAD /health headers:\n%s", &head.Header)
	}
	// If HEAD had carried a body, this second response on the connection would not parse.
	if next := read(t, br, false); next.StatusCode() != 404 {
		t.Errorf("GET /nope after HEAD = %d, want 404", next.StatusCode())
	}
	_ = c.Close()

	r.stop <- syscall.SIGTERM
	if err := r.result(t); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

// TestInFlightRequestFinishes follows fasthttp's own TestShutdown: a slow request is in
// flight when the signal comes; it must complete, with Connection: close, while new dials
// fail, and Run must then return nil.
func TestInFlightRequestFinishes(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	slow := func(ctx *fasthttp.RequestCtx) {
		close(entered)
		<-release
		ctx.SetBodyString("slow done")
	}
	r := start(t, Defaults(), slow)

	_, br := r.send(t, get("/slow"))
	<-entered
	r.stop <- syscall.SIGTERM
	waitUntil(t, "new dials fail", func() bool {
		c, err := r.ln.Dial()
		if err == nil {
			_ = c.Close()
		}
		return err != nil
	})
	close(release)

	resp := read(t, br, false)
	if string(resp.Body()) != "slow done" {
		t.Errorf("in-flight body = %q", resp.Body())
	}
	if !resp.ConnectionClose() {
		t.Error("in-flight response lacks Connection: close")
	}
	if err := r.result(t); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

func TestIdleKeepAliveDoesNotHoldShutdown(t *testing.T) {
	r := start(t, Defaults(), nil) // IdleTimeout 75 s: only Shutdown can close the connection
	_, br := r.send(t, get("/health"))
	read(t, br, false)

	r.stop <- syscall.SIGTERM
	if err := r.result(t); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if _, err := br.ReadByte(); err == nil {
		t.Error("idle connection still open after shutdown")
	}
}

func TestDrainDelayAnswers503(t *testing.T) {
	cfg := Defaults()
	cfg.ShutdownDelay = time.Hour // ended by the second signal below
	r := start(t, cfg, nil)
	// A kept-alive client that was already here when the drain began.
	keptConn, kept := r.send(t, get("/health"))
	if resp := read(t, kept, false); resp.StatusCode() != 200 || resp.ConnectionClose() {
		t.Fatalf("GET /health before the drain = %d, Connection: close %v", resp.StatusCode(), resp.ConnectionClose())
	}

	r.stop <- syscall.SIGTERM
	waitUntil(t, "draining starts", r.drain.Active)

	// While draining the listener stays open and everything is served. A health check on a
	// new connection learns the instance is going away; every answer closes its connection.
	_, br := r.send(t, get("/health"))
	resp := read(t, br, false)
	if resp.StatusCode() != 503 || string(resp.Body()) != `{"status":"draining"}` || !resp.ConnectionClose() {
		t.Errorf("GET /health on a new connection while draining = %d %q, Connection: close %v; want 503, draining, close",
			resp.StatusCode(), resp.Body(), resp.ConnectionClose())
	}
	_, br = r.send(t, get("/nope"))
	if resp := read(t, br, false); resp.StatusCode() != 404 || !resp.ConnectionClose() {
		t.Errorf("GET /nope while draining = %d, Connection: close %v; want 404, close", resp.StatusCode(), resp.ConnectionClose())
	}
	// The client that was already here gets its answer, and is told to go elsewhere next.
	if _, err := io.WriteString(keptConn, get("/health")); err != nil {
		t.Fatal(err)
	}
	if resp := read(t, kept, false); resp.StatusCode() != 200 || !resp.ConnectionClose() {
		t.Errorf("GET /health on a connection from before the drain = %d, Connection: close %v; want 200, close",
			resp.StatusCode(), resp.ConnectionClose())
	}

	// A second signal ends the wait at once, with an error.
	r.stop <- syscall.SIGINT
	err := r.result(t)
	if err == nil || !strings.Contains(err.Error(), "exiting now") {
		t.Errorf("Run after a second signal = %v, want an 'exiting now' error", err)
	}
}

func TestShutdownTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	entered := make(chan struct{})
	stuck := func(*fasthttp.RequestCtx) {
		close(entered)
		<-release
	}
	cfg := Defaults()
	cfg.ShutdownTimeout = 50 * time.Millisecond
	r := start(t, cfg, stuck)
	r.send(t, get("/stuck"))
	<-entered

	r.stop <- syscall.SIGTERM
	if err := r.result(t); !errors.Is(err, ErrShutdownTimeout) {
		t.Errorf("Run = %v, want ErrShutdownTimeout", err)
	}
}

func TestSecondSignalDuringShutdown(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	entered := make(chan struct{})
	stuck := func(*fasthttp.RequestCtx) {
		close(entered)
		<-release
	}
	cfg := Defaults()
	cfg.ShutdownTimeout = time.Hour
	r := start(t, cfg, stuck)
	r.send(t, get("/stuck"))
	<-entered

	r.stop <- syscall.SIGTERM
	r.stop <- syscall.SIGTERM
	err := r.result(t)
	if err == nil || errors.Is(err, ErrShutdownTimeout) || !strings.Contains(err.Error(), "exiting now") {
		t.Errorf("Run = %v, want an 'exiting now' error", err)
	}
}

func TestListenPortInUse(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	addr := held.Addr().String()
	_, err = Listen(addr)
	want := "listen on " + addr + ": address already in use"
	if err == nil || err.Error() != want {
		t.Errorf("Listen(%s) = %v, want %q", addr, err, want)
	}
}

// waitUntil polls cond until it holds or bound passes.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
