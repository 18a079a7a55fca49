package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSocketActivation passes the binary a listening socket as systemd does (descriptor 3,
// LISTEN_FDS=1, LISTEN_PID its own pid: sh sets it and execs, so the pid stays the same),
// and checks that it serves there rather than on -addr and still stops cleanly on SIGTERM.
func TestSocketActivation(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	f, err := ln.(*net.TCPListener).File()
	_ = ln.Close() // the child holds the socket through its copy
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" -addr 127.0.0.1:1`, binary)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	cmd.ExtraFiles = []*os.File{f}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	exited := make(chan error, 1)
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case line := <-lines:
		if !strings.Contains(line, "serving on "+addr+" ") {
			t.Fatalf("start-up line %q, want it serving on the passed socket %s", line, addr)
		}
	case <-time.After(bound):
		t.Fatal("no start-up line")
	}
	if status, _, body := do(t, "GET", "http://"+addr+"/health"); status != 200 || body != `{"status":"ok"}` {
		t.Errorf("GET /health on the passed socket: %d %q", status, body)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for range lines { // drain the shutdown lines
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("after SIGTERM: %v, want exit 0", err)
		}
	case <-time.After(bound):
		t.Fatal("still running after SIGTERM")
	}
}
