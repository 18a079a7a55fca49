package openloop

import (
	"fmt"
	"net"
	"syscall"
)

// conn is one non-blocking keep-alive connection of the generator: what waits to be
// written, and the due times of the requests sent on it whose answers have not come yet,
// oldest first (HTTP/1.1 answers in order, so the next answer belongs to the oldest).
type conn struct {
	fd   int
	out  []byte  // requests not yet written
	due  []int64 // ns after the start, of the requests in flight; a queue
	head int     // index of the oldest in due
	in   []byte  // bytes read but not yet a whole answer
	dead bool
	idle bool // on the generator's idle stack
}

func (c *conn) inFlight() int { return len(c.due) - c.head }

func (c *conn) push(due int64) {
	if c.head > 0 && c.head == len(c.due) { // empty: reuse the slice from the start
		c.due, c.head = c.due[:0], 0
	}
	c.due = append(c.due, due)
}

func (c *conn) pop() int64 {
	d := c.due[c.head]
	c.head++
	return d
}

// dial opens a blocking TCP connection to addr (loopback: connect completes at once), then
// makes it non-blocking for the event loop, with Nagle off as every HTTP client does.
func dial(addr string) (*conn, error) {
	ta, err := net.ResolveTCPAddr("tcp4", addr)
	if err != nil {
		return nil, err
	}
	if !ta.IP.IsLoopback() {
		return nil, fmt.Errorf("%s: the generator only ever targets loopback", addr)
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	sa := &syscall.SockaddrInet4{Port: ta.Port}
	copy(sa.Addr[:], ta.IP.To4())
	if err := syscall.Connect(fd, sa); err != nil {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("connect %s: %w", addr, err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1); err != nil {
		_ = syscall.Close(fd)
		return nil, err
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		_ = syscall.Close(fd)
		return nil, err
	}
	return &conn{fd: fd, idle: true}, nil
}

// flush writes what it can of c.out; a full socket keeps the rest for the next turn.
func (c *conn) flush() error {
	for len(c.out) > 0 {
		n, err := syscall.Write(c.fd, c.out)
		if err == syscall.EAGAIN {
			return nil
		}
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		c.out = c.out[:copy(c.out, c.out[n:])]
	}
	return nil
}
