//go:build proxies

package proxies

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

// relay stands between a proxy and its backend and forwards bytes both ways unchanged, with
// one backend connection for each connection the proxy opens, ends included: a FIN as a FIN,
// a reset as a reset. It numbers the proxy's connections and keeps what the proxy sent on
// each, which is how the test knows that a request went over a pooled connection (one the
// relay accepted before the idle wait) and what a proxy made of a smuggling attempt.
type relay struct {
	ln      net.Listener
	backend string
	mu      sync.Mutex
	legs    [][]byte // what the proxy sent on each of its connections, in accept order
	ended   []bool   // whether either side has ended each of them
	conns   [][2]net.Conn
	wg      sync.WaitGroup
}

// keepAtMost bounds what the relay keeps of one connection; the test sends kilobytes.
const keepAtMost = 1 << 20

// startRelay listens on a loopback port in front of backend until the test ends.
func startRelay(t *testing.T, backend string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, backend: backend}
	r.wg.Go(r.accept)
	t.Cleanup(r.close)
	return r
}

func (r *relay) addr() string { return r.ln.Addr().String() }

func (r *relay) accept() {
	for {
		pc, err := r.ln.Accept()
		if err != nil {
			return
		}
		bc, err := net.Dial("tcp", r.backend)
		if err != nil {
			_ = pc.Close()
			continue
		}
		r.mu.Lock()
		leg := len(r.legs)
		r.legs, r.ended = append(r.legs, nil), append(r.ended, false)
		r.conns = append(r.conns, [2]net.Conn{pc, bc})
		r.mu.Unlock()
		var both sync.WaitGroup
		both.Go(func() { r.pipe(pc, bc, leg); r.end(leg) })
		both.Go(func() { r.pipe(bc, pc, -1); r.end(leg) })
		r.wg.Go(func() { both.Wait(); _ = pc.Close(); _ = bc.Close() })
	}
}

// pipe copies from one side to the other, keeping what it copies when leg is a proxy
// connection's number, and passes the end on as it came: a FIN with CloseWrite, anything
// else (a reset, a write that failed) as a reset.
func (r *relay) pipe(from, to net.Conn, leg int) {
	buf := make([]byte, 32<<10)
	for {
		n, err := from.Read(buf)
		if n > 0 {
			if leg >= 0 {
				r.mu.Lock()
				if len(r.legs[leg])+n <= keepAtMost {
					r.legs[leg] = append(r.legs[leg], buf[:n]...)
				}
				r.mu.Unlock()
			}
			if _, werr := to.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			_ = to.(*net.TCPConn).CloseWrite()
			return
		case err != nil:
			_ = to.(*net.TCPConn).SetLinger(0)
			_ = to.Close()
			_ = from.Close()
			return
		}
	}
}

// end notes that one side of a proxy connection has ended it: the proxy will not send a
// request over it again.
func (r *relay) end(leg int) {
	r.mu.Lock()
	r.ended[leg] = true
	r.mu.Unlock()
}

// anyOpen says whether any of legs is still open at both ends.
func (r *relay) anyOpen(legs []int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range legs {
		if !r.ended[l] {
			return true
		}
	}
	return false
}

// mark is how much the proxy had sent on each of its connections at one moment.
type mark []int

// mark notes what has been sent so far.
func (r *relay) mark() mark {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := make(mark, len(r.legs))
	for i, b := range r.legs {
		m[i] = len(b)
	}
	return m
}

// since is what the proxy sent after m, by connection number: only the connections that
// carried something.
func (r *relay) since(m mark) map[int]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[int]string{}
	for i, b := range r.legs {
		from := 0
		if i < len(m) {
			from = m[i]
		}
		if len(b) > from {
			out[i] = string(b[from:])
		}
	}
	return out
}

// cut closes the proxy's connections legs and their backend sides, as a backend that closes
// an idle connection does: the proxy drops them from its pool.
func (r *relay) cut(legs []int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range legs {
		_ = r.conns[l][0].Close()
		_ = r.conns[l][1].Close()
	}
}

// close stops accepting, ends every connection and waits for the copies to stop.
func (r *relay) close() {
	_ = r.ln.Close()
	r.mu.Lock()
	for _, c := range r.conns {
		_ = c[0].Close()
		_ = c[1].Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}
