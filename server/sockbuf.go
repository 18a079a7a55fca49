package server

import (
	"net"
	"syscall"
)

// setBuffers sets a socket's receive and send buffers to n bytes (see SocketBufferBytes).
func setBuffers(fd uintptr, n int) error {
	for _, opt := range []int{syscall.SO_RCVBUF, syscall.SO_SNDBUF} {
		if err := setsockopt(fd, opt, n); err != nil {
			return err
		}
	}
	return nil
}

// setListenerBuffers sets SocketBufferBytes on a listener that is already open (an inherited
// one), so the connections it accepts inherit it as Listen's do.
func setListenerBuffers(ln net.Listener) error {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) { serr = setBuffers(fd, SocketBufferBytes) }); err != nil {
		return err
	}
	return serr
}
