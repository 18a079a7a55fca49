package openloop

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/rawhttp"
)

const ok = "HTTP/1.1 200 OK\r\nDate: x\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}"

func TestNextResponse(t *testing.T) {
	t.Parallel()
	notFound := "HTTP/1.1 404 Not Found\r\ncontent-length: 14\r\n\r\n404 not found\n"
	for name, tc := range map[string]struct {
		in           string
		size, status int
		err          error
	}{
		"whole":              {ok, len(ok), 200, nil},
		"two pipelined":      {ok + notFound, len(ok), 200, nil},
		"lower-case header":  {notFound, len(notFound), 404, nil},
		"head only":          {ok[:len(ok)-15], 0, 200, nil},
		"half a head":        {ok[:20], 0, 0, nil},
		"body cut short":     {ok[:len(ok)-1], 0, 200, nil},
		"chunked":            {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 200, errUnframed},
		"not HTTP/1.1":       {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0, 0, rawhttp.ErrMalformed},
		"bad Content-Length": {"HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n", 0, 200, rawhttp.ErrMalformed},
	} {
		size, status, err := nextResponse([]byte(tc.in))
		if size != tc.size || status != tc.status || !errors.Is(err, tc.err) {
			t.Errorf("%s: %d bytes, status %d, %v; want %d, %d, %v", name, size, status, err, tc.size, tc.status, tc.err)
		}
	}
}

// listen serves every connection of a loopback listener with handle until the test ends,
// and returns its address.
func listen(t *testing.T, handle func(c net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c, bufio.NewReader(c))
			}()
		}
	}()
	return ln.Addr().String()
}

// serve answers every request with answer, pipelined requests included.
func serve(t *testing.T, answer string) string {
	return listen(t, func(c net.Conn, br *bufio.Reader) {
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if line == "\r\n" {
				if _, err := c.Write([]byte(answer)); err != nil {
					return
				}
			}
		}
	})
}

func TestRunCountsEveryAnswer(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		answer string
		non2xx int
	}{
		"200": {ok, 0},
		"404": {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 400},
	} {
		// 400 requests over 4 connections: most go on idle ones, some pipelined.
		r, err := Run(Config{Addr: serve(t, tc.answer), Path: "/health", Rate: 2000, Duration: 200 * time.Millisecond, Conns: 4, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Requests != 400 || r.Errors != 0 || r.Non2xx != tc.non2xx || r.TargetRPS != 2000 {
			t.Errorf("%s: %+v; want 400 answers, %d non-2xx, no error", name, r, tc.non2xx)
		}
		if !(r.P50Ms <= r.P99Ms && r.P99Ms <= r.P999Ms && r.P999Ms <= r.MaxMs) || r.P50Ms <= 0 {
			t.Errorf("%s: percentiles out of order: %+v", name, r)
		}
	}
}

func TestRunCountsClosedConnectionsAsErrors(t *testing.T) {
	t.Parallel()
	// A server that answers once per connection, then closes it: everything sent after that
	// first answer on a connection fails, and the run still ends.
	addr := listen(t, func(c net.Conn, br *bufio.Reader) {
		for line := ""; line != "\r\n"; {
			var err error
			if line, err = br.ReadString('\n'); err != nil {
				return
			}
		}
		_, _ = c.Write([]byte(ok))
		time.Sleep(50 * time.Millisecond) // let more requests arrive unread
	})
	r, err := Run(Config{Addr: addr, Path: "/health", Rate: 1000, Duration: 200 * time.Millisecond, Conns: 2, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests+r.Errors != 200 || r.Errors == 0 || r.ErrorDetail == "" {
		t.Errorf("%+v: want 200 requests accounted for, the unanswered ones as errors with a reason", r)
	}
}

func TestOnlyLoopback(t *testing.T) {
	t.Parallel()
	_, err := Run(Config{Addr: "192.0.2.1:80", Path: "/", Rate: 10, Duration: time.Second, Conns: 1, Timeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("a non-loopback target: %v, want a refusal", err)
	}
	for _, c := range []Config{
		{Rate: 0, Duration: time.Second, Conns: 1, Timeout: time.Second},
		{Rate: 10, Duration: time.Second, Conns: 1},
		{Rate: 10, Duration: time.Second, Timeout: time.Second},
	} {
		if c.Validate() == nil {
			t.Errorf("%+v validated", c)
		}
	}
}
