//go:build !unix

package server

import (
	"net"
	"syscall"
)

// rawConn returns nil: outside Unix, a connection waits for its next request in fasthttp,
// holding a pooled buffer, and never parks.
func rawConn(net.Conn) syscall.RawConn { return nil }

// fill reads what arrives into a pooled buffer (c.pending).
func (c *conn) fill() error { return c.fillBlocking() }

// waitReadable returns at once: fill waits.
func (c *conn) waitReadable() error { return nil }

// peekInto finds nothing: without a descriptor to peek at, a kicked connection parks, and
// a new connection's request waits for a general place.
func (c *conn) peekInto([]byte) (int, error) { return 0, syscall.EAGAIN }
