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

// peek reports nothing: without a descriptor to peek at, a new connection's request
// waits for a general place.
func (c *conn) peek() (whole, closed bool) { return false, false }

// readable reports false: a kicked connection parks, and its parked wait reads.
func (c *conn) readable() bool { return false }
