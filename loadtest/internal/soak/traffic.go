package soak

import (
	"bufio"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getsmall/getsmall/internal/rawhttp"
)

// Mix is how many clients of each kind the soak runs at once.
type Mix struct {
	KeepAlive int // pipelined keep-alive requests: GET, HEAD, 404 and 405
	Churn     int // one request per connection
	Slow      int // a header a byte at a time, slower than the read timeout
	Malformed int // garbage, smuggling shapes and oversized headers and bodies
}

// Counts are the answers seen, by status, the answers that were not HTTP/1.1 at all, and
// the connections that ended without an answer.
type Counts struct {
	status  [600]atomic.Int64
	notHTTP atomic.Int64
	failed  atomic.Int64
}

// Total is the number of answers.
func (c *Counts) Total() int64 {
	var n int64
	for i := range c.status {
		n += c.status[i].Load()
	}
	return n
}

// ByStatus returns the non-zero counts.
func (c *Counts) ByStatus() map[int]int64 {
	m := map[int]int64{}
	for i := range c.status {
		if n := c.status[i].Load(); n > 0 {
			m[i] = n
		}
	}
	return m
}

func (c *Counts) add(status int) {
	switch {
	case status > 0 && status < len(c.status):
		c.status[status].Add(1)
	case status == 0:
		c.failed.Add(1)
	default:
		c.notHTTP.Add(1)
	}
}

// traffic drives the clients of mix at addr until stop is closed or the answers reach
// limit, whichever comes first.
type traffic struct {
	addr  string
	limit int64
	stop  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
	c     *Counts
	// bad counts malformed connections: each takes the next shape in turn, so every shape
	// is sent within the first len(badRequests)+1 of them, however short the soak.
	bad atomic.Uint64
}

func (tr *traffic) done() bool {
	select {
	case <-tr.stop:
		return true
	default:
	}
	if tr.c.Total() >= tr.limit {
		tr.once.Do(func() { close(tr.stop) })
		return true
	}
	return false
}

func (tr *traffic) run(n int, client func()) {
	for range n {
		tr.wg.Add(1)
		go func() {
			defer tr.wg.Done()
			for !tr.done() {
				client()
			}
		}()
	}
}

func (tr *traffic) dial() net.Conn {
	c, err := net.DialTimeout("tcp", tr.addr, 5*time.Second)
	if err != nil {
		tr.c.failed.Add(1)
		time.Sleep(10 * time.Millisecond)
		return nil
	}
	return c
}

// keepAlive sends batches of pipelined requests on one connection for a while.
func (tr *traffic) keepAlive() {
	c := tr.dial()
	if c == nil {
		return
	}
	defer c.Close()
	batch := []byte("GET /health HTTP/1.1\r\nHost: x\r\n\r\n" +
		"HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n" +
		"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" +
		"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi" +
		"GET /health?x=1 HTTP/1.1\r\nHost: x\r\n\r\n" +
		"GET /health HTTP/1.1\r\nHost: x\r\n\r\n" +
		"GET /health HTTP/1.1\r\nHost: x\r\n\r\n" +
		"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
	heads := []bool{false, true, false, false, false, false, false, false}
	br := bufio.NewReaderSize(c, 16<<10)
	for range 200 { // then a new connection: churn at a slower pace
		if tr.done() {
			return
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(batch); err != nil {
			tr.c.failed.Add(1)
			return
		}
		for _, head := range heads {
			status, err := readAnswer(br, head)
			tr.c.add(status)
			if err != nil {
				return
			}
		}
	}
}

// churn sends one request on a new connection and closes it.
func (tr *traffic) churn() {
	c := tr.dial()
	if c == nil {
		return
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		tr.c.failed.Add(1)
		return
	}
	status, _ := readAnswer(bufio.NewReader(c), false)
	tr.c.add(status)
}

// slow sends a header a byte every 200 ms, so the server's read timeout ends it, and
// counts the answer (408) if one comes.
func (tr *traffic) slow() {
	c := tr.dial()
	if c == nil {
		return
	}
	defer c.Close()
	req := "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("s", 200)
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	answered := make(chan int, 1)
	go func() {
		status, _ := readAnswer(bufio.NewReader(c), false)
		answered <- status
	}()
	for i := range len(req) {
		if _, err := io.WriteString(c, req[i:i+1]); err != nil {
			break
		}
		select {
		case status := <-answered:
			tr.c.add(status)
			return
		case <-time.After(200 * time.Millisecond):
		case <-tr.stop:
			return
		}
	}
	select {
	case status := <-answered:
		tr.c.add(status)
	case <-tr.stop:
	}
}

// badRequests are what a malformed client sends, one per connection.
var badRequests = []string{
	"GARBAGE\r\n\r\n",
	"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
	"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"GET /health HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
	"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n",
	"GET http://evil.example/health HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 8192) + "\r\n\r\n",
	"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("b", 1000),
	"GET /he\x00alth HTTP/1.1\r\nHost: x\r\n\r\n",
}

// malformed sends one bad request, or random bytes, and reads whatever comes back. The
// shapes take turns rather than being drawn at random: a short soak makes only a dozen or
// so malformed connections, and a random draw then missed the oversized header (the only
// shape answered 431) often enough to fail the soak's check now and then.
func (tr *traffic) malformed() {
	c := tr.dial()
	if c == nil {
		return
	}
	defer c.Close()
	n := tr.bad.Add(1) - 1
	var req string
	if i := n % uint64(len(badRequests)+1); i < uint64(len(badRequests)) {
		req = badRequests[i]
	} else { // one turn in len(badRequests)+1: random bytes
		b := make([]byte, 1+rand.IntN(512)) //nolint:gosec // not for security
		for i := range b {
			b[i] = byte(rand.IntN(256)) //nolint:gosec // not for security
		}
		req = string(b) + "\r\n\r\n"
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.WriteString(c, req)
	br := bufio.NewReader(c)
	for {
		status, err := readAnswer(br, false)
		if status != 0 {
			tr.c.add(status)
		}
		if err != nil {
			return
		}
	}
}

// readAnswer reads one response; head says it answers a HEAD request, so no body follows.
// It returns 0 and the error when no status line could be read, and -1 for an answer that
// is not HTTP/1.1, which is counted outside every status.
func readAnswer(br *bufio.Reader, head bool) (int, error) {
	status, err := rawhttp.ReadResponse(br, head)
	if errors.Is(err, rawhttp.ErrMalformed) {
		return -1, err
	}
	return status, err
}
