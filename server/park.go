package server

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// Parking idle connections.
//
// fasthttp serves each connection on one goroutine, from its first request to its close,
// and an idle keep-alive connection keeps that goroutine waiting for the next request, with
// its request context, its 4 KiB read buffer, its write buffer and a stack the requests
// grew to 4 KiB: 13 KiB in all (docs/memory.md). A connection that has waited for longer
// than a sweep (parkAfter) leaves fasthttp instead: its wait ends as if the client had
// closed, fasthttp returns what it held to its pools and lets the connection go, and a new
// goroutine, whose stack stays small because it does little, waits for the next request
// without a buffer. When one comes, that goroutine reads it into a pooled buffer and hands
// the connection back to fasthttp (Server.ServeConn). A connection under load never waits
// that long and never parks: the sweep costs it an atomic store and swap a request. One
// that follows a chunked body never parks either: its framing is no longer followed, so
// the connection cannot tell a wait for a request from a wait in one.

// parkTick is how often the sweep looks for connections to park; a connection parks after
// waiting for at least parkAfter ticks, 0.25 to 0.5 s. A connection that carries fewer than
// about four requests a second parks between them, which costs each a goroutine's start and
// fasthttp's per-connection set-up (docs/memory.md).
const (
	parkTick  = 250 * time.Millisecond
	parkAfter = 2
)

// kicked marks a wait the sweep ended, in conn.idleSince.
const kicked = -1

// aLongTimeAgo is a deadline that has passed: setting it ends a wait at once.
var aLongTimeAgo = time.Unix(1, 0)

// readBuffers hold what a parked connection read when its next request came, until
// fasthttp takes it: a parked connection waits without a buffer.
var readBuffers = sync.Pool{New: func() any { b := make([]byte, readAhead); return &b }}

// readAhead is what that read takes: a /health request is far smaller, and fasthttp reads
// the rest of a larger one itself.
const readAhead = 4096

// sweep parks the connections that have waited for a request for parkAfter ticks, until
// stop is closed.
func (l *listener) sweep(stop <-chan struct{}) {
	t := time.NewTicker(parkTick)
	defer t.Stop()
	var collectAt int64
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		now := l.tick.Add(1)
		kicks := 0
		l.mu.Lock()
		for c := range l.conns {
			if since := c.idleSince.Load(); since > 0 && now-since >= parkAfter && c.kick(since) {
				kicks++
			}
		}
		l.mu.Unlock()
		if kicks >= parkCollect {
			collectAt = now + collectAfter
		}
		if now == collectAt {
			collect()
		}
	}
}

// After a sweep parks parkCollect connections or more, the sweep collectAfter ticks later
// (a second: fasthttp's goroutines that served them have ended by then, see
// MaxIdleWorkerDuration) returns what they held to the operating system. It went back to
// fasthttp's pools, which keep it until two garbage collections have passed, and an idle
// server may not collect for two minutes, nor the runtime hand freed memory back soon.
const (
	parkCollect  = 256
	collectAfter = 4
)

// collect frees what the pools held and returns it to the operating system: the first
// collection moves the pools' objects aside, FreeOSMemory's frees them and scavenges.
func collect() {
	runtime.GC()
	debug.FreeOSMemory()
}

// kick ends c's wait for a request, unless it ended since the sweep saw it begin at since,
// and reports whether it did.
func (c *conn) kick(since int64) bool {
	c.kickMu.Lock()
	defer c.kickMu.Unlock()
	if !c.idleSince.CompareAndSwap(since, kicked) {
		return false
	}
	_ = c.Conn.SetReadDeadline(aLongTimeAgo)
	return true
}

// awaitRequest is fasthttp waiting for the next request on c (or its first): it reads as
// Read does, and returns io.EOF when the sweep ended the wait to park the connection, so
// that fasthttp lets it go as if the client had closed, without an answer.
func (c *conn) awaitRequest(p []byte) (int, error) {
	if !c.keepPlace() && !c.l.closed.Load() { // park, and wait there for a place
		c.parking.Store(true)
		return 0, io.EOF
	}
	c.idleSince.Store(max(c.l.tick.Load(), 1))
	n, err := c.Conn.Read(p)
	if c.idleSince.Swap(0) == kicked {
		// The kick's deadline is set by now: undo it if a request came. One that came just
		// as the kick did is read, not parked: the deadline fails a read without looking.
		c.kickMu.Lock()
		timedOut := n == 0 && errors.Is(err, os.ErrDeadlineExceeded)
		resume := n > 0 || timedOut && c.readable()
		if resume {
			_ = c.Conn.SetReadDeadline(c.readDeadline)
		}
		c.kickMu.Unlock()
		switch {
		case resume && n == 0:
			return c.Conn.Read(p)
		case timedOut && !resume && !c.l.closed.Load():
			c.parking.Store(true)
			return 0, io.EOF
		}
	}
	return n, err
}

// takePending gives p what was read ahead, returning the buffer once it is empty.
func (c *conn) takePending(p []byte) int {
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	if len(c.pending) == 0 && c.buf != nil {
		readBuffers.Put(c.buf)
		c.buf, c.pending = nil, nil
	}
	return n
}

// park waits, on a goroutine of its own, for the next request of a connection that left
// fasthttp, then serves it again; the deadline fasthttp set for the wait (its idle
// timeout, or its read timeout for a new connection) still holds.
func (l *listener) park(c *conn) {
	if l.closed.Load() { // closeParked has run, or runs now: do not wait
		c.parked.Store(false)
		_ = c.closeForGood()
		return
	}
	l.parkedNow.Add(1)
	go func() {
		_ = c.Conn.SetReadDeadline(c.readDeadline)
		var err error
		if l.places != nil { // a place in a request (places.go), taken before the read
			if err = c.waitReadable(); err == nil {
				err = c.awaitPlace()
			}
		}
		if err == nil {
			err = c.fill()
		}
		c.parked.Store(false)
		l.parkedNow.Add(-1)
		switch {
		case errors.Is(err, errNoPlace) && !l.closed.Load():
			c.refuseBusy()
		case err != nil || l.closed.Load():
			_ = c.closeForGood()
		default:
			_ = l.serve(c) // until it parks again (a new goroutine) or closes
		}
	}()
}

// closeParked closes every parked connection: the listener closed, and fasthttp, which
// waits for the connections it serves, does not know them.
func (l *listener) closeParked() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		if c.parked.Load() {
			_ = c.Conn.Close() // its waiting goroutine then closes it for good
		}
	}
}

// Opened is when the connection was accepted: a parked connection that resumes is new to
// fasthttp (its RequestCtx.ConnTime), not to the drain (router.Drain), which tells the
// connections opened before it began by this.
func (c *conn) Opened() time.Time { return c.opened }

// SetReadDeadline keeps the deadline fasthttp sets, which a parked connection keeps.
func (c *conn) SetReadDeadline(t time.Time) error {
	c.readDeadline = t
	return c.Conn.SetReadDeadline(t)
}

// SetDeadline sets both deadlines, keeping the read one as SetReadDeadline does.
func (c *conn) SetDeadline(t time.Time) error {
	c.readDeadline = t
	return c.Conn.SetDeadline(t)
}

var _ net.Conn = (*conn)(nil)
