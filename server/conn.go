package server

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A lingering close (RFC 9112 section 9.6): after an answer that refuses a request the
// client may still be sending (431, 413, 400, the over-cap 503), the server closes its
// sending side, then reads and throws away what keeps arriving, for at most LingerTime and
// LingerBytes, and only then closes. Closing at once with unread bytes makes the kernel send
// a reset, and a client or proxy that sees the reset before reading drops the answer: the
// user sees "connection reset" instead of the 431. The bounds keep a client that never
// stops sending from holding the connection.
const (
	LingerTime  = 2 * time.Second
	LingerBytes = 2 << 20
)

// refusedLingering bounds how many over-cap connections linger at once: each costs a
// goroutine and its socket (about 14 KB), taken from memlimit's HeadroomBytes. Past it, an
// over-cap connection is closed at once.
const refusedLingering = 16

// overCap is the whole answer to a connection over the cap, written before anything of its
// request is read.
var overCap = []byte("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 24\r\n\r\n503 service unavailable\n")

// listener holds at most cap(slots) connections open, and lets at most busyMax() of
// them be in fasthttp at once: the others are parked between requests (park.go) or wait
// for a place there (places.go). One over the open cap gets overCap and a lingering close,
// from the accept loop, without a request being read; one that finds no place in a request
// within busyWait gets the same. The caps are held here rather than by fasthttp's
// Concurrency so that the answer is this service's own and the close does not reset the
// client's request.
type listener struct {
	net.Listener
	slots     chan struct{} // one per open connection
	places    *places       // in a request; nil: one for every open connection
	lingering chan struct{}
	linger    lingerBounds
	obs       *observer // counts the refusals; nil: not counted

	// Parking (park.go): the sweep's ticks, the open connections it looks at, and where a
	// parked connection goes back to fasthttp.
	serve     func(net.Conn) error
	tick      atomic.Int64
	parkedNow atomic.Int64 // connections parked now
	mu        sync.Mutex
	conns     map[*conn]struct{}
	stop      chan struct{} // ends the sweep
	closed    atomic.Bool
}

// lingerBounds are a lingering close's limits: LingerTime and LingerBytes, shorter in tests.
type lingerBounds struct {
	time  time.Duration
	bytes int64
}

// newListener caps ln at maxConns open connections, maxBusy of them in a request (0 or at
// least maxConns: no cap of its own).
func newListener(ln net.Listener, maxConns, maxBusy int, bounds lingerBounds) *listener {
	if bounds == (lingerBounds{}) {
		bounds = lingerBounds{LingerTime, LingerBytes}
	}
	if maxBusy >= maxConns {
		maxBusy = 0
	}
	return &listener{Listener: ln, slots: make(chan struct{}, maxConns), places: newPlaces(maxBusy),
		lingering: make(chan struct{}, refusedLingering), linger: bounds, conns: map[*conn]struct{}{}, stop: make(chan struct{})}
}

// Close closes the listener, ends the sweep and closes the parked connections.
func (l *listener) Close() error {
	err := l.Listener.Close()
	if l.closed.CompareAndSwap(false, true) {
		close(l.stop)
		l.closeParked()
	}
	return err
}

// Accept returns the next connection within the cap, answering the ones over it.
func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			wrapped := &conn{Conn: c, l: l, framing: newFraming(), opened: time.Now(), raw: rawConn(c)}
			l.mu.Lock()
			l.conns[wrapped] = struct{}{}
			l.mu.Unlock()
			return wrapped, nil // it takes a place in a request when its first byte comes
		default:
			l.refuse(c)
		}
	}
}

// refuse answers a connection over the cap. The write cannot block for long: the answer is
// far smaller than a new socket's send buffer, and a deadline bounds it anyway.
func (l *listener) refuse(c net.Conn) {
	l.obs.refusedOverCap()
	_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = c.Write(overCap)
	select {
	case l.lingering <- struct{}{}:
		go func() {
			l.linger.close(c)
			_ = c.Close()
			<-l.lingering
		}()
	default:
		_ = c.Close()
	}
}

// conn is one accepted connection as fasthttp sees it. It counts what it has read (a
// connection that sent nothing closes without an answer), follows the request heads (a
// bare-LF head gets its 400 at once, see framing), and closes with a lingering close when
// an answer asked for one.
type conn struct {
	net.Conn
	l       *listener
	framing framing
	failed  error // what the next Read returns, once the framing failed
	read    int64 // bytes read, by the goroutine serving the connection

	lingerOnClose atomic.Bool // set by an answer that refuses the request
	silent        atomic.Bool // set when nothing was read: writes go nowhere
	peerClosed    atomic.Bool // a Read saw the client's end of stream
	closeOnce     sync.Once
	closeErr      error

	// Waiting for requests and parking (park.go).
	opened       time.Time       // when it was accepted
	raw          syscall.RawConn // its descriptor, for waiting without a buffer; nil: none
	readDeadline time.Time       // the last one fasthttp set
	pending      []byte          // read ahead of fasthttp, in buf
	buf          *[]byte         // from readBuffers
	idleSince    atomic.Int64    // the sweep's tick when a wait for a request began; 0: none; kicked
	kickMu       sync.Mutex      // held while the sweep ends a wait
	parking      atomic.Bool     // the wait ended to park: Close parks instead of closing
	parked       atomic.Bool     // waiting outside fasthttp
	place        atomic.Int32    // the kind of place in a request it holds (places.go)
}

// Read reads from the connection and follows what it reads. Once a head is known to end
// on a bare LF, the bytes read so far are still returned, so fasthttp takes them for a
// request, and the next Read fails with errBareLF: fasthttp answers it then, at once.
func (c *conn) Read(p []byte) (int, error) {
	if c.failed != nil {
		return 0, c.failed
	}
	var n int
	var err error
	switch {
	case len(c.pending) > 0:
		n = c.takePending(p)
	case c.raw != nil && c.framing.between(): // fasthttp waits for the next request
		n, err = c.awaitRequest(p)
	default:
		n, err = c.Conn.Read(p)
	}
	c.read += int64(n)
	if n > 0 && !c.framing.off {
		c.failed = c.framing.feed(p[:n])
	}
	if errors.Is(err, io.EOF) && !c.parking.Load() { // a wait ended to park is no end of stream
		c.peerClosed.Store(true)
	}
	return n, err
}

// Write writes, unless the connection is to close without a word.
func (c *conn) Write(p []byte) (int, error) {
	if c.silent.Load() {
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// Close parks the connection when its wait for a request ended to park it (park.go), and
// closes it otherwise.
func (c *conn) Close() error {
	if c.parking.CompareAndSwap(true, false) {
		c.parked.Store(true)
		c.givePlace()
		c.l.park(c)
		return nil
	}
	return c.closeForGood()
}

// closeForGood closes once, lingering first when an answer asked for it and the client has
// not closed its side already, and gives its place under the cap back.
func (c *conn) closeForGood() error {
	c.closeOnce.Do(func() {
		if c.lingerOnClose.Load() && !c.peerClosed.Load() {
			c.l.linger.close(c.Conn)
		}
		c.closeErr = c.Conn.Close()
		c.giveBack()
	})
	return c.closeErr
}

// giveBack returns what c held: its read-ahead buffer and its places under the caps.
func (c *conn) giveBack() {
	if c.buf != nil {
		readBuffers.Put(c.buf)
		c.buf, c.pending = nil, nil
	}
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	c.givePlace()
	<-c.l.slots
}

// fillBlocking reads what arrives into a pooled buffer (c.pending), holding it while it
// waits: for connections without a descriptor to wait on.
func (c *conn) fillBlocking() error {
	buf := readBuffers.Get().(*[]byte)
	n, err := c.Conn.Read(*buf)
	if n == 0 {
		readBuffers.Put(buf)
		return err
	}
	c.buf, c.pending = buf, (*buf)[:n]
	return nil
}

// close closes c's sending side, so the client reads the answer and then its end, and
// throws away what arrives until the client closes or a bound is reached; the caller then
// closes c. A connection that cannot half-close (an in-memory pipe in tests) is left as is.
func (b lingerBounds) close(c net.Conn) {
	hc, ok := c.(interface{ CloseWrite() error })
	if !ok || hc.CloseWrite() != nil {
		return
	}
	_ = c.SetReadDeadline(time.Now().Add(b.time))
	_, _ = io.CopyN(io.Discard, c, b.bytes)
}

// refuseBusy answers a parked connection that found no place in a request, before anything
// of its request is read, as one over the open cap is answered: its place under the cap is
// given back first, and its lingering close is one of the refusedLingering ones or none.
// Lingering on its own would let an attack that keeps every place busy hold a reading
// goroutine for every connection it opens beside them.
func (c *conn) refuseBusy() {
	c.closeOnce.Do(func() {
		c.giveBack()
		c.l.refuse(c.Conn)
	})
}
