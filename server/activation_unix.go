//go:build unix

package server

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
)

// listenFDsStart is the first file descriptor systemd passes (SD_LISTEN_FDS_START).
const listenFDsStart = 3

// Inherited returns the listening socket systemd passed to this process, pid, by socket
// activation (sd_listen_fds(3)): LISTEN_PID names this process and LISTEN_FDS is 1. It
// returns nil without an error when the process was not activated, so the caller listens
// itself. The socket gets the same SocketBufferBytes as one Listen opens. Without a
// dependency: the protocol is two variables and descriptor 3.
func Inherited(lookupEnv func(string) (string, bool), pid int) (net.Listener, error) {
	return inherited(lookupEnv, pid, listenFDsStart)
}

// inherited is Inherited with the descriptor to take: tests pass one of their own.
func inherited(lookupEnv func(string) (string, bool), pid, fd int) (net.Listener, error) {
	p, ok := lookupEnv("LISTEN_PID")
	if !ok || p != strconv.Itoa(pid) {
		return nil, nil // not for this process, or not activated
	}
	v, _ := lookupEnv("LISTEN_FDS")
	n, err := strconv.Atoi(v)
	switch {
	case err != nil || n < 0:
		return nil, fmt.Errorf("socket activation: LISTEN_FDS=%q is not a count of sockets", v)
	case n == 0:
		return nil, nil
	case n > 1:
		return nil, fmt.Errorf("socket activation: LISTEN_FDS=%d: getsmall serves one socket; give its .socket unit one ListenStream", n)
	}
	syscall.CloseOnExec(fd)
	f := os.NewFile(uintptr(fd), "LISTEN_FD_"+strconv.Itoa(fd))
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("socket activation: descriptor %d is not a listening socket: %w", fd, err)
	}
	if err := setListenerBuffers(ln); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("socket activation: %w", err)
	}
	return ln, nil
}
