package server

import (
	"bufio"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestListenBoundsSocketBuffers checks that accepted connections inherit the listener's
// SO_RCVBUF and SO_SNDBUF instead of autotuning them up to megabytes.
func TestListenBoundsSocketBuffers(t *testing.T) {
	t.Parallel()
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	for name, opt := range map[string]int{"SO_RCVBUF": syscall.SO_RCVBUF, "SO_SNDBUF": syscall.SO_SNDBUF} {
		var got int
		var gerr error
		if err := raw.Control(func(fd uintptr) { got, gerr = getsockopt(fd, opt) }); err != nil || gerr != nil {
			t.Fatal(err, gerr)
		}
		// Linux reports twice the value set (the other half is its bookkeeping), and never
		// less than its minimum send buffer of 4608; the BSDs, macOS and Windows report it.
		if got < SocketBufferBytes || got > max(2*SocketBufferBytes, 4608) {
			t.Errorf("accepted connection's %s = %d, want %d (doubled by Linux)", name, got, SocketBufferBytes)
		}
	}
}

// TestOverTheCapAnswers503 fills the connection cap with connections that sent half a
// header, then checks that one more gets a 503 with Connection: close and is closed, and
// that a connection is served again once the others are gone.
func TestOverTheCapAnswers503(t *testing.T) {
	cfg := Defaults()
	cfg.MaxConns = 2
	r := start(t, cfg, nil)

	var held []net.Conn
	for range cfg.MaxConns {
		c, _ := r.send(t, "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: aaaa")
		held = append(held, c)
	}
	// The extra connection is refused in the accept loop, before anything is read from it
	// (over an in-memory pipe a write to it then fails, so the test only reads).
	c, err := r.ln.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	resp := read(t, br, false)
	if resp.StatusCode() != 503 || !resp.ConnectionClose() {
		t.Errorf("over the cap: %d, Connection: close %v; want 503 and close", resp.StatusCode(), resp.ConnectionClose())
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("over the cap: the connection stays open after the 503 (%v)", err)
	}
	for _, c := range held {
		_ = c.Close()
	}
	waitUntil(t, "a connection is served again", func() bool {
		c, err := r.ln.Dial()
		if err != nil {
			return false
		}
		defer c.Close()
		_, _ = io.WriteString(c, get("/health")) // fails when refused: the 503 is still read
		line, _ := bufio.NewReader(c).ReadString('\n')
		return strings.HasPrefix(line, "HTTP/1.1 200 ")
	})
}

// TestUnreadableRequests checks the status of each request fasthttp cannot read: the
// README promises 413 and 431 for the limits and 408 for a client too slow, where
// fasthttp's own error handler answers 400 to both the body limit and the timeout.
func TestUnreadableRequests(t *testing.T) {
	cfg := Defaults()
	cfg.ReadTimeout = 100 * time.Millisecond
	r := start(t, cfg, nil)
	for name, tc := range map[string]struct {
		req  string
		want int
	}{
		"body over MAX_BODY_BYTES":     {"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 4097\r\n\r\n", 413},
		"header over MAX_HEADER_BYTES": {"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 4096) + "\r\n\r\n", 431},
		"half a header, then silence":  {"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: a", 408},
		"not HTTP":                     {"GARBAGE\r\n\r\n", 400},
	} {
		_, br := r.send(t, tc.req)
		resp := read(t, br, false)
		if resp.StatusCode() != tc.want || !resp.ConnectionClose() {
			t.Errorf("%s: %d, Connection: close %v; want %d and close", name, resp.StatusCode(), resp.ConnectionClose(), tc.want)
		}
	}
}
