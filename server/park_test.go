//go:build unix && !floppy

package server

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/rawhttp"
)

// parkedAfter is longer than a connection waits before it parks (two sweeps at most).
const parkedAfter = (parkAfter+1)*parkTick + 200*time.Millisecond

// TestParkedConnectionResumes idles a kept-alive connection until it parks, then sends it
// every kind of request, each after it parked again: each is answered as on a connection
// that never idled, Expect and bodies included.
func TestParkedConnectionResumes(t *testing.T) {
	t.Parallel()
	cfg := Defaults()
	cfg.IdleTimeout = time.Minute
	o := serveObserved(t, cfg)
	c, br := dialTCP(t, o.addr)
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	for _, tc := range []struct {
		req, after string // after: sent once a 100 Continue came
		status     int
		body       string
	}{
		{req: get("/health"), status: 200, body: `{"status":"ok"}`},
		{req: get("/health"), status: 200, body: `{"status":"ok"}`},
		{req: "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", status: 200, body: "got:hello"},
		{req: "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n", after: "hi", status: 200, body: "got:hi"},
		{req: get("/health") + get("/nope"), status: 200, body: `{"status":"ok"}`}, // two at once: the second is read below
	} {
		if _, err := io.WriteString(c, tc.req); err != nil {
			t.Fatal(err)
		}
		if tc.after != "" {
			if _, err := readInterim(br); err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(c, tc.after); err != nil {
				t.Fatal(err)
			}
		}
		if a, err := rawhttp.Read(br, false); err != nil || a.Status != tc.status || a.Body != tc.body || a.Close {
			t.Fatalf("%q after the connection parked: %+v, %v; want %d %q, kept open", tc.req, a, err, tc.status, tc.body)
		}
		if strings.Count(tc.req, "HTTP/1.1") == 2 {
			if a, err := rawhttp.Read(br, false); err != nil || a.Status != 404 {
				t.Fatalf("the second of two requests sent at once: %+v, %v", a, err)
			}
		}
		o.waitFor(t, "http_connections_parked", "1")
		if open := o.scrape(t)["http_connections_open"]; open != "1" {
			t.Errorf("http_connections_open = %s with one parked connection, want 1", open)
		}
	}
}

// TestParkedConnectionTimesOut checks that a parked connection keeps its timeouts: a kept-
// alive one closes at IDLE_TIMEOUT, a new one that sent nothing at READ_TIMEOUT, both
// without a word; and one parked while the drain began is still an old connection.
func TestParkedConnectionTimesOut(t *testing.T) {
	t.Parallel()
	cfg := Defaults()
	cfg.IdleTimeout = parkedAfter + time.Second
	cfg.ReadTimeout = parkedAfter + time.Second
	o := serveObserved(t, cfg)
	// Before either timeout can start: the kept-alive one's starts once its request is
	// answered, the silent one's when it is accepted. (Taken after the answer arrived, it
	// could lag them by as long as a loaded machine takes to deliver it.)
	since := time.Now()
	kept, keptBR := dialTCP(t, o.addr)
	if a, err := exchange(t, kept, keptBR, get("/health")); err != nil || a.Status != 200 {
		t.Fatal(a, err)
	}
	silent, _ := dialTCP(t, o.addr)
	o.waitFor(t, "http_connections_parked", "2")
	for name, c := range map[string]io.Reader{"kept alive": keptBR, "silent": silent} {
		if out, err := io.ReadAll(c); err != nil || len(out) != 0 {
			t.Errorf("%s, parked: read %q, %v; want nothing, then the end at its timeout", name, out, err)
		}
		// Not before its timeout: parking must not shorten it.
		if took := time.Since(since); took < cfg.IdleTimeout {
			t.Errorf("%s, parked: closed after %v, before its %v timeout", name, took, cfg.IdleTimeout)
		}
	}
}

// parkedConn is a connection that was answered once and then parked.
func (o *observed) parkedConn(t *testing.T) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, br := dialTCP(t, o.addr)
	if a, err := exchange(t, c, br, get("/health")); err != nil || a.Status != 200 {
		t.Fatal(a, err)
	}
	o.waitFor(t, "http_connections_parked", "1")
	return c, br
}

// TestDrainTellsParkedConnectionsOld checks that a connection opened before the drain is
// still old to it after it parked: a health check on it gets 200 and a close, not the 503
// new connections get.
func TestDrainTellsParkedConnectionsOld(t *testing.T) {
	t.Parallel()
	o := serveObserved(t, Defaults())
	c, br := o.parkedConn(t)
	o.drain.Start()
	if a, err := exchange(t, c, br, get("/health")); err != nil || a.Status != 200 || !a.Close {
		t.Errorf("GET /health on a parked connection from before the drain: %+v, %v; want 200 and a close", a, err)
	}
	fresh, freshBR := dialTCP(t, o.addr)
	if a, err := exchange(t, fresh, freshBR, get("/health")); err != nil || a.Status != 503 {
		t.Errorf("GET /health on a new connection while draining: %+v, %v; want 503", a, err)
	}
}

// TestShutdownClosesParkedConnections checks that parked connections, which fasthttp does
// not know, are closed when the server shuts down, and do not hold it.
func TestShutdownClosesParkedConnections(t *testing.T) {
	t.Parallel()
	o := serveObserved(t, Defaults())
	_, br := o.parkedConn(t)
	start := time.Now()
	if err := o.shutDown(t); err != nil {
		t.Fatalf("shutdown with a parked connection: %v", err)
	}
	if out, err := io.ReadAll(br); err != nil || len(out) != 0 {
		t.Errorf("the parked connection at shutdown: read %q, %v; want its end", out, err)
	}
	t.Logf("shutdown with a parked connection took %v", time.Since(start))
}

// TestParkedConnectionRefusalLingers sends a body over the limit on a connection that
// parked: the 413 arrives and the connection ends cleanly, lingering while the body is
// still coming. A parked connection's wait had ended like the client's end of stream,
// and was taken for one: the close skipped its lingering, and the unread body reset the
// connection, which can lose the answer.
func TestParkedConnectionRefusalLingers(t *testing.T) {
	t.Parallel()
	o := serveObserved(t, Defaults())
	c, br := o.parkedConn(t)
	body := strings.Repeat("x", 5000)
	a, err := exchange(t, c, br, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"+body)
	if err != nil || a.Status != 413 || !a.Close {
		t.Fatalf("a body over the limit on a parked connection: %+v, %v; want 413 and a close", a, err)
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Errorf("after the 413: read %q, %v; want the connection's end, not a reset", rest, err)
	}
}
