//go:build unix

package server

import (
	"errors"
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

// waitReadable waits until the connection is readable, or its client closed, without
// reading: a byte peeked onto the stack tells, and stays for fill.
func (c *conn) waitReadable() error {
	if c.raw == nil {
		return nil
	}
	var one [1]byte
	return c.raw.Read(func(fd uintptr) bool {
		_, err := recvPeek(fd, one[:])
		return !errors.Is(err, syscall.EAGAIN)
	})
}

// peekInto copies what has arrived into buf without taking it or waiting: 0 bytes and no
// error when the client has closed, syscall.EAGAIN when nothing has arrived.
func (c *conn) peekInto(buf []byte) (n int, err error) {
	if c.raw == nil {
		return 0, syscall.EAGAIN
	}
	if cerr := c.raw.Control(func(fd uintptr) { n, err = recvPeek(fd, buf) }); cerr != nil {
		return 0, cerr
	}
	return n, err
}

// recvPeek copies what has arrived on fd into buf, leaving it there, without waiting.
func recvPeek(fd uintptr, buf []byte) (int, error) {
	for {
		n, _, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		if !errors.Is(err, syscall.EINTR) {
			return n, err
		}
	}
}
