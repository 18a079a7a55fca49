package server

import "syscall"

// setBuffers sets a socket's receive and send buffers to n bytes (see SocketBufferBytes).
func setBuffers(fd uintptr, n int) error {
	for _, opt := range []int{syscall.SO_RCVBUF, syscall.SO_SNDBUF} {
		if err := setsockopt(fd, opt, n); err != nil {
			return err
		}
	}
	return nil
}
