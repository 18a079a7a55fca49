//go:build unix

package server

import (
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestInherited passes a listening socket as systemd would, by descriptor, and checks when
// it is taken, when it is left alone, and what is refused.
func TestInherited(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const pid = 4242
	fd := int(f.Fd())
	for name, tc := range map[string]struct {
		env     map[string]string
		taken   bool
		wantErr string
	}{
		"not activated":       {env: map[string]string{}},
		"another process's":   {env: map[string]string{"LISTEN_PID": "1", "LISTEN_FDS": "1"}},
		"no sockets":          {env: map[string]string{"LISTEN_PID": "4242", "LISTEN_FDS": "0"}},
		"two sockets":         {env: map[string]string{"LISTEN_PID": "4242", "LISTEN_FDS": "2"}, wantErr: "serves one socket"},
		"a count that is not": {env: map[string]string{"LISTEN_PID": "4242", "LISTEN_FDS": "one"}, wantErr: "is not a count"},
	} {
		got, err := inherited(env(tc.env), pid, fd)
		if (got != nil) != tc.taken || (tc.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: listener %v, error %v; want taken %v, error %q", name, got, err, tc.taken, tc.wantErr)
		}
	}
	// Activated: the descriptor is taken (a copy of it), it accepts, and it has the buffers.
	dup, err := syscall.Dup(fd)
	if err != nil {
		t.Fatal(err)
	}
	got, err := inherited(env(map[string]string{"LISTEN_PID": strconv.Itoa(pid), "LISTEN_FDS": "1"}), pid, dup)
	if err != nil || got == nil {
		t.Fatalf("activated: %v, %v", got, err)
	}
	defer got.Close()
	if got.Addr().String() != ln.Addr().String() {
		t.Errorf("inherited %s, want %s", got.Addr(), ln.Addr())
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A file that is not a socket is refused with the descriptor's number.
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(p[1])
	if _, err := inherited(env(map[string]string{"LISTEN_PID": "4242", "LISTEN_FDS": "1"}), pid, p[0]); err == nil || !strings.Contains(err.Error(), "not a listening socket") {
		t.Errorf("a pipe: %v, want it refused", err)
	}
}
