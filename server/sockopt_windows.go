package server

import "syscall"

// setsockopt sets one SOL_SOCKET option of the socket fd: Windows names a socket by a
// handle, not a file descriptor.
func setsockopt(fd uintptr, opt, value int) error {
	return syscall.SetsockoptInt(syscall.Handle(fd), syscall.SOL_SOCKET, opt, value)
}

// getsockopt reads one SOL_SOCKET option of the socket fd (for the tests; the linker drops it
// from the binary).
func getsockopt(fd uintptr, opt int) (int, error) {
	return syscall.GetsockoptInt(syscall.Handle(fd), syscall.SOL_SOCKET, opt)
}
