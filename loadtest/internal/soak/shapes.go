package soak

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getsmall/getsmall/internal/rawhttp"
)

// Shape is one way a client holds a connection to the server.
type Shape string

// The shapes whose cost the memory model needs. The partial ones stop just short of the
// server's limits (MAX_HEADER_BYTES, MAX_BODY_BYTES), where a connection holds the most.
const (
	Idle          Shape = "idle keep-alive"          // one request answered, then silence
	PartialHeader Shape = "partial header"           // most of MAX_HEADER_BYTES, then silence
	PartialBody   Shape = "partial body"             // most of both limits: header, then body, then silence
	Active        Shape = "active"                   // requests back to back
	Unread        Shape = "pipelined, never reading" // requests sent, answers never read
)

// Shapes lists every shape, in the order reports show them.
var Shapes = []Shape{Idle, PartialHeader, PartialBody, Active, Unread}

// Limits are the server's read limits the partial shapes approach.
type Limits struct {
	HeaderBytes, BodyBytes int
}

// headerRequest is a request line and headers padded to n bytes without the final CRLF:
// the server keeps reading it until its read timeout.
func headerRequest(n int) []byte {
	head := "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: "
	if n < len(head)+8 {
		n = len(head) + 8
	}
	return []byte(head + strings.Repeat("a", n-len(head)))
}

// Holder keeps connections of one shape open until Close.
type Holder struct {
	mu     sync.Mutex
	conns  []net.Conn
	stop   chan struct{}
	wg     sync.WaitGroup
	errs   int
	status map[int]int
}

// NewHolder returns an empty holder.
func NewHolder() *Holder {
	return &Holder{stop: make(chan struct{}), status: map[int]int{}}
}

// Open adds n connections of shape to addr. Failed dials and refused connections (503
// over the cap) are counted, not returned: the caller decides whether they matter.
func (h *Holder) Open(addr string, shape Shape, n int, lim Limits) error {
	for range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			h.count(0)
			continue
		}
		if err := h.start(c, shape, lim); err != nil {
			_ = c.Close()
			return err
		}
		h.mu.Lock()
		h.conns = append(h.conns, c)
		h.mu.Unlock()
	}
	return nil
}

func (h *Holder) count(status int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if status == 0 {
		h.errs++
	} else {
		h.status[status]++
	}
}

// Counts returns the statuses answered so far and the connections that failed.
func (h *Holder) Counts() (map[int]int, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := make(map[int]int, len(h.status))
	for k, v := range h.status {
		m[k] = v
	}
	return m, h.errs
}

func (h *Holder) start(c net.Conn, shape Shape, lim Limits) error {
	switch shape {
	case Idle:
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			h.count(0)
			return nil
		}
		status, err := rawhttp.ReadResponse(bufio.NewReader(c), false)
		h.count(status)
		if err != nil {
			return nil //nolint:nilerr // counted: a refused connection is an outcome, not a failure
		}
		_ = c.SetDeadline(time.Time{})
	case PartialHeader:
		_, _ = c.Write(headerRequest(lim.HeaderBytes - 96))
	case PartialBody:
		// The server holds the header twice (its read buffer and the parsed copy) and the body.
		head := "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: " + strconv.Itoa(lim.BodyBytes) + "\r\nX-Pad: "
		head += strings.Repeat("a", max(lim.HeaderBytes-256-len(head), 0)) + "\r\n\r\n"
		_, _ = c.Write([]byte(head + strings.Repeat("a", lim.BodyBytes-96)))
	case Active:
		h.wg.Add(1)
		go h.loop(c)
	case Unread:
		// Enough pipelined requests to fill every buffer on the way: the server's writes
		// block once the client's receive window is full, and then it stops reading.
		req := []byte(strings.Repeat("GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 64))
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			for {
				_ = c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
				if _, err := c.Write(req); err != nil {
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						select {
						case <-h.stop:
							return
						default:
							continue
						}
					}
					return
				}
			}
		}()
	default:
		return fmt.Errorf("unknown shape %q", shape)
	}
	return nil
}

// loop sends requests back to back on c and reads each answer, until Close.
func (h *Holder) loop(c net.Conn) {
	defer h.wg.Done()
	req := []byte("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	for {
		select {
		case <-h.stop:
			return
		default:
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(req); err != nil {
			h.count(0)
			return
		}
		status, err := rawhttp.ReadResponse(br, false)
		h.count(status)
		if err != nil || status != 200 {
			return
		}
	}
}

// Close closes every connection and waits for the goroutines that drive them.
func (h *Holder) Close() {
	close(h.stop)
	h.mu.Lock()
	for _, c := range h.conns {
		_ = c.Close()
	}
	h.conns = nil
	h.mu.Unlock()
	h.wg.Wait()
}

// socketBytes sums the kernel's socket buffer memory (skmem r+w+f: received and unread,
// queued to send, allocated ahead) of the server's established TCP connections on port,
// as ss reports it: what cgroup v2 charges to the server's container. -1 without ss.
func socketBytes(port string) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ss", "-tmnH", "state", "established", "( sport = :"+port+" )").Output() //nolint:gosec // port is the target's own
	if err != nil {
		return -1
	}
	return skmemBytes(string(out))
}

// skmemBytes sums r, w and f of every skmem:(...) field in ss -m output.
func skmemBytes(out string) int64 {
	var total int64
	for _, f := range strings.Fields(out) {
		inner, ok := strings.CutPrefix(f, "skmem:(")
		if !ok {
			continue
		}
		for kv := range strings.SplitSeq(strings.TrimSuffix(inner, ")"), ",") {
			for _, k := range []string{"r", "w", "f"} {
				if v, ok := strings.CutPrefix(kv, k); ok {
					if n, err := strconv.ParseInt(v, 10, 64); err == nil {
						total += n
					}
				}
			}
		}
	}
	return total
}
