//go:build unix

package server

import (
	"io"
	"net"
	"syscall"
)

// rawConn is c's file descriptor, for fill's buffer-less wait; nil for a connection that
// has none (an in-memory pipe in tests).
func rawConn(c net.Conn) syscall.RawConn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// fill waits until the connection is readable without holding a buffer, then reads what
// arrived into a pooled one (c.pending). It returns io.EOF when the client closed, and the
// wait's error (a deadline, a closed connection) otherwise.
func (c *conn) fill() error {
	if c.raw == nil {
		return c.fillBlocking()
	}
	var n int
	var rerr error
	err := c.raw.Read(func(fd uintptr) bool {
		buf := readBuffers.Get().(*[]byte)
		for {
			n, rerr = syscall.Read(int(fd), *buf)
			if rerr != syscall.EINTR {
				break
			}
		}
		if rerr == syscall.EAGAIN {
			readBuffers.Put(buf) // nothing yet: wait for the descriptor without it
			return false
		}
		c.buf = buf
		return true
	})
	switch {
	case err != nil:
		return err
	case rerr != nil || n <= 0:
		readBuffers.Put(c.buf)
		c.buf = nil
		if rerr != nil {
			return rerr
		}
		return io.EOF
	}
	c.pending = (*c.buf)[:n]
	return nil
}
