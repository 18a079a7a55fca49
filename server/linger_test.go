package server

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// refused sends head and then body (in a goroutine, as a client that does not wait would),
// reads the answer up to the server's end of stream, and returns the connection and the
// answer's status line.
func refused(t *testing.T, addr, head string, body int) (*net.TCPConn, string) {
	t.Helper()
	c, br := dialTCP(t, addr)
	go func() {
		_, _ = io.WriteString(c, head)
		_, _ = c.Write(make([]byte, body))
	}()
	status, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	if rest, err := io.ReadAll(br); err != nil {
		t.Fatalf("after %q and %d bytes of it: %v, want the server's end of stream (a FIN, not a reset)", status, len(rest), err)
	}
	return c.(*net.TCPConn), strings.TrimSpace(status)
}

// keepSending writes chunk after chunk every gap, for at most d, and returns how long the
// writes went on succeeding and the error that ended them, if one did.
func keepSending(c net.Conn, chunk int, gap, d time.Duration) (time.Duration, error) {
	start := time.Now()
	b := make([]byte, chunk)
	for time.Since(start) < d {
		if _, err := c.Write(b); err != nil {
			return time.Since(start), err
		}
		time.Sleep(gap)
	}
	return time.Since(start), nil
}

// TestLingeringClose refuses a 20 KB header with 431 and a 1 MB body with 413; the client
// reads the answer and the server's FIN, then goes on sending: nothing resets the
// connection while the drain runs.
func TestLingeringClose(t *testing.T) {
	t.Parallel()
	addr := serveTCP(t, Defaults(), lingerBounds{time: 2 * time.Second, bytes: 4 << 20})
	for name, tc := range map[string]struct {
		head   string
		body   int
		status string
	}{
		"20 KB header": {"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 20<<10), 0, "HTTP/1.1 431 Request Header Fields Too Large"},
		"1 MB body":    {"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n", 1 << 20, "HTTP/1.1 413 Content Too Large"},
	} {
		c, status := refused(t, addr, tc.head, tc.body)
		if status != tc.status {
			t.Errorf("%s: %q, want %q", name, status, tc.status)
		}
		if took, err := keepSending(c, 16<<10, 20*time.Millisecond, 500*time.Millisecond); err != nil {
			t.Errorf("%s: after the answer, sending failed after %v, inside the drain's 2 s: %v", name, took, err)
		}
	}
}

// TestLingerBounds checks that the drain ends at each of its bounds, so a client that never
// stops sending cannot hold the connection: fast, it reaches the byte bound; slow, the time
// bound. Either way the server then closes and the client's writes fail.
func TestLingerBounds(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		bounds     lingerBounds
		chunk      int
		gap        time.Duration
		atLeast    time.Duration // the writes succeed at least this long
		within     time.Duration // and fail before this
		wantReason string
	}{
		"bytes": {lingerBounds{time: time.Minute, bytes: 256 << 10}, 32 << 10, 5 * time.Millisecond, 0, 10 * time.Second, "the byte bound"},
		"time":  {lingerBounds{time: 500 * time.Millisecond, bytes: 64 << 20}, 1, 20 * time.Millisecond, 200 * time.Millisecond, 10 * time.Second, "the time bound"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			addr := serveTCP(t, Defaults(), tc.bounds)
			c, _ := refused(t, addr, "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: "+strings.Repeat("a", 8<<10), 0)
			took, err := keepSending(c, tc.chunk, tc.gap, tc.within)
			switch {
			case err == nil:
				t.Errorf("the server still read after %v: the drain did not stop at %s", took, tc.wantReason)
			case took < tc.atLeast:
				t.Errorf("sending failed after %v, before %s (%v)", took, tc.wantReason, err)
			}
		})
	}
}
