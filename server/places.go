//go:build !floppy

package server

import (
	"bytes"
	"errors"
	"slices"
	"sync/atomic"
	"syscall"
	"time"
)

// Places in a request.
//
// A connection costs most while fasthttp reads its request: in the middle of a large one
// it holds its read buffer, the parsed header and the body so far, about 32 KiB at the
// default limits, where a parked connection holds a few (docs/memory.md). So the memory
// limit pays for a number of places at the costly price and for every other open
// connection at the parked price, and only a connection with a place is in fasthttp.
//
// A connection takes a place when fasthttp waits for its request: a free one (so a
// connection under load pays an atomic operation a request), or it parks and waits there
// for one, at the parked price, with its bytes unread. It keeps its place while fasthttp
// waits for its next request, until it parks: after a sweep, or at once when a connection
// waits for a place it could take (at its next wait, or when that one starts waiting:
// parkIdle). The places come in classes (places), so that slow requests, an attack's,
// cannot take them all. One that found no place within busyWait gets overCap, the
// over-cap answer, and a lingering close.

// HasPlaces says this build keeps places in a request; the floppy build leaves them out
// (places_floppy.go), and its memory limit derives one cap for every connection.
const HasPlaces = true

// busyWait bounds the wait for a place: longer than the sweep takes to park a connection
// that waits for its next request (parkAfter ticks at most), with a tick to spare, so that
// only connections in a request can keep every place taken for that long.
const busyWait = (parkAfter + 1) * parkTick

// The classes of place, from the one fewest connections may take: conn.place holds the
// class of the one a connection holds, plus one (0: none).
const (
	reservedPlace int32 = iota // for connections that have completed a request
	quickPlace                 // for those too, and for a request that has arrived whole
	generalPlace               // for any request
	classes
)

// The kinds of connection that wait for a place, by the classes they may take.
const (
	anyRequest   = iota // a request that has not arrived whole: general places
	wholeRequest        // one that has, on a new connection: quick and general places
	served              // a connection that has completed a request: all
	kinds
)

// mayTake says which classes each kind of connection may take, in the order it tries them.
var mayTake = [kinds][]int32{
	anyRequest:   {generalPlace},
	wholeRequest: {quickPlace, generalPlace},
	served:       {reservedPlace, quickPlace, generalPlace},
}

// places are the places in a request, by class. A slow request, an attack's, can only
// take a general place; a request that has arrived whole is answered at once and gives
// its place back, so quick places keep turning over while slow ones hold the general
// places; and connections that have completed a request keep reserved places to
// themselves.
type places struct {
	class   [classes]chan struct{}
	waiting [kinds]atomic.Int32 // connections waiting for a place, by kind
}

// newPlaces makes n places: a quarter reserved, a quarter quick, the rest general, with
// at least one reserved and one general place from two on; nil for n <= 0, which means a
// place for every open connection.
func newPlaces(n int) *places {
	if n <= 0 {
		return nil
	}
	var size [classes]int
	if n >= 2 {
		size[reservedPlace] = max(n/4, 1)
	}
	size[quickPlace] = n / 4
	size[generalPlace] = n - size[reservedPlace] - size[quickPlace]
	p := &places{}
	for i := range p.class {
		p.class[i] = make(chan struct{}, size[i])
	}
	return p
}

// take takes a free place the kind may take, and returns its class plus one; 0 if none
// is free.
func (p *places) take(kind int) int32 {
	for _, i := range mayTake[kind] {
		select {
		case p.class[i] <- struct{}{}:
			return i + 1
		default:
		}
	}
	return 0
}

// await takes a place the kind may take, waiting up to busyWait for one to come free; 0
// if none did or stop was closed. kick is called once the wait is counted, to free places.
func (p *places) await(kind int, stop <-chan struct{}, kick func()) int32 {
	if got := p.take(kind); got != 0 {
		return got
	}
	p.waiting[kind].Add(1)
	defer p.waiting[kind].Add(-1)
	var ch [classes]chan struct{} // nil: never taken
	for _, i := range mayTake[kind] {
		ch[i] = p.class[i]
	}
	kick()
	t := time.NewTimer(busyWait)
	defer t.Stop()
	select {
	case ch[reservedPlace] <- struct{}{}:
		return reservedPlace + 1
	case ch[quickPlace] <- struct{}{}:
		return quickPlace + 1
	case ch[generalPlace] <- struct{}{}:
		return generalPlace + 1
	case <-t.C:
	case <-stop:
	}
	return 0
}

// wanted reports whether a connection waits for a place it could take instead of the one
// held.
func (p *places) wanted(held int32) bool {
	if held == 0 {
		return false
	}
	for kind := range kinds {
		if p.waiting[kind].Load() > 0 && slices.Contains(mayTake[kind], held-1) {
			return true
		}
	}
	return false
}

// give returns a place held.
func (p *places) give(held int32) {
	if held != 0 {
		<-p.class[held-1]
	}
}

// keepPlace is called when fasthttp waits for c's next request (or its first): it reports
// whether c may wait there, holding a place, or parks instead, because no place is free
// or a connection waits for the one c holds.
func (c *conn) keepPlace() bool {
	p := c.l.places
	if p == nil {
		return true
	}
	held := c.place.Load()
	if held == 0 {
		held = p.take(c.kind())
		c.place.Store(held)
		return held != 0
	}
	if p.wanted(held) {
		c.givePlace()
		return false
	}
	return true
}

// awaitPlace takes a place for a parked connection whose request has come, or whose
// client has closed: errClientClosed when it finds none free and sees that the client
// closed, errNoPlace if none came free within busyWait.
func (c *conn) awaitPlace() error {
	p := c.l.places
	if p == nil {
		return nil
	}
	kind := c.kind()
	if held := p.take(kind); held != 0 {
		c.place.Store(held)
		return nil
	}
	switch whole, closed := c.peek(); {
	case closed: // an attack's connections end with their clients: do not wait for them
		return errClientClosed
	case whole && kind == anyRequest:
		kind = wholeRequest
	}
	held := p.await(kind, c.l.stop, c.l.parkIdle)
	c.place.Store(held)
	if held == 0 {
		return errNoPlace
	}
	return nil
}

// The ways awaitPlace finds no place.
var (
	errClientClosed = errors.New("client closed")
	errNoPlace      = errors.New("no place in a request came free")
)

// kind is served for a connection that has completed a request: fasthttp waits for a
// request only between requests, so one that has read anything has completed one.
func (c *conn) kind() int {
	if c.read > 0 {
		return served
	}
	return anyRequest
}

// givePlace gives c's place back, if it holds one.
func (c *conn) givePlace() {
	if held := c.place.Swap(0); held != 0 {
		c.l.places.give(held)
	}
}

// parkIdle parks the connections that wait in fasthttp for their next request holding a
// place one that waits could take, so that places go to connections with a request.
func (l *listener) parkIdle() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		if since := c.idleSince.Load(); since > 0 && l.places.wanted(c.place.Load()) {
			c.kick(since)
		}
	}
}

// busyNow, busyMax and waitingNow are what the metrics show: without places of their own,
// every open connection that is not parked has one.
func (l *listener) busyNow() int {
	if l.places == nil {
		return len(l.slots) - int(l.parkedNow.Load())
	}
	return l.places.total(func(ch chan struct{}) int { return len(ch) })
}

func (l *listener) busyMax() int {
	if l.places == nil {
		return cap(l.slots)
	}
	return l.places.total(func(ch chan struct{}) int { return cap(ch) })
}

// total adds f up over the classes.
func (p *places) total(f func(chan struct{}) int) int {
	n := 0
	for _, ch := range p.class {
		n += f(ch)
	}
	return n
}

func (l *listener) waitingNow() int {
	if l.places == nil {
		return 0
	}
	n := 0
	for i := range l.places.waiting {
		n += int(l.places.waiting[i].Load())
	}
	return n
}

// peek reports what has arrived on the connection, leaving it unread: whether it begins
// with a request that has arrived whole (arrivedWhole), and whether the client closed
// with nothing more sent.
func (c *conn) peek() (whole, closed bool) {
	buf := readBuffers.Get().(*[]byte)
	defer readBuffers.Put(buf)
	n, err := c.peekInto(*buf)
	if err != nil {
		return false, !errors.Is(err, syscall.EAGAIN)
	}
	return n > 0 && arrivedWhole((*buf)[:n]), n == 0
}

// arrivedWhole reports whether b begins with a request that has arrived whole: a head that
// ends and declares no body. One with a Content-Length or Transfer-Encoding field, even a
// zero one, is taken for unfinished: the check is for the small requests that fill no
// memory, and the server reads what it says itself once the request has a place.
func arrivedWhole(b []byte) bool {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		return false
	}
	for line := range bytes.SplitSeq(b[:end], []byte("\r\n")) {
		if hasFoldPrefix(line, "content-length:") || hasFoldPrefix(line, "transfer-encoding:") {
			return false
		}
	}
	return true
}

// hasFoldPrefix reports whether line begins with prefix, a lower-case ASCII field name and
// its colon, in any case.
func hasFoldPrefix(line []byte, prefix string) bool {
	if len(line) < len(prefix) {
		return false
	}
	for i := range len(prefix) {
		if line[i]|0x20 != prefix[i] && line[i] != prefix[i] {
			return false
		}
	}
	return true
}

// readable reports whether a read would not wait: bytes or the client's end of stream
// have arrived.
func (c *conn) readable() bool {
	var one [1]byte
	_, err := c.peekInto(one[:])
	return err == nil
}
