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
