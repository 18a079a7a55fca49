package server

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/getsmall/getsmall/router"
	"github.com/valyala/fasthttp"
)

// BenchmarkServeTCP measures whole requests through the running server over loopback TCP,
// with the kernel's socket work and the netpoller included: the costs that dominate under
// a load generator (about three quarters of the server's CPU goes to system calls), which
// the in-memory pipe of BenchmarkServe leaves out. Each client keeps one keep-alive
// connection and sends GET /health, then reads the answer, as wrk does. Client and server
// share this process and its CPUs, so the number is for catching regressions between two
// builds on one machine; the load test compares servers.
func BenchmarkServeTCP(b *testing.B) {
	for _, bc := range []struct {
		name  string
		conns int // per GOMAXPROCS; 0 for a single connection
	}{
		{"1 conn", 0},
		{"16 conns per CPU", 16},
	} {
		b.Run(bc.name, func(b *testing.B) {
			addr := serveTCP(b, Defaults(), lingerBounds{})
			b.ReportAllocs()
			if bc.conns == 0 {
				c, err := dial(b, addr)
				if err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					if err := c.roundTrip(); err != nil {
						b.Fatal(err)
					}
				}
				return
			}
			b.SetParallelism(bc.conns)
			b.RunParallel(func(pb *testing.PB) {
				c, err := dial(b, addr)
				if err != nil {
					b.Error(err) // not Fatal: this is not the benchmark's goroutine
					return
				}
				for pb.Next() {
					if err := c.roundTrip(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// serveTCP runs the service with cfg and the lingering close's bounds (zero: the
// defaults) on a loopback port until the test ends, then shuts it down the way SIGTERM does.
func serveTCP(tb testing.TB, cfg Config, bounds lingerBounds) string {
	tb.Helper()
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	drain := &router.Drain{}
	s := newServer(cfg, drain)
	s.linger = bounds
	stop := make(chan os.Signal, 1)
	done := make(chan error, 1)
	go func() { done <- s.Run(ln, stop) }()
	tb.Cleanup(func() {
		stop <- syscall.SIGTERM
		if err := <-done; err != nil {
			tb.Errorf("shutdown: %v", err)
		}
	})
	return ln.Addr().String()
}

// client is one keep-alive connection that reuses its buffers, so allocations reported
// are the server's.
type client struct {
	conn net.Conn
	br   *bufio.Reader
	resp fasthttp.Response
}

var getHealth = []byte("GET /health HTTP/1.1\r\nHost: bench\r\n\r\n")

func dial(b *testing.B, addr string) (*client, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	b.Cleanup(func() { _ = conn.Close() })
	return &client{conn: conn, br: bufio.NewReader(conn)}, nil
}

// roundTrip sends one request and reads its answer, which must be a 200.
func (c *client) roundTrip() error {
	if _, err := c.conn.Write(getHealth); err != nil {
		return err
	}
	if err := c.resp.Read(c.br); err != nil {
		return err
	}
	if c.resp.StatusCode() != fasthttp.StatusOK {
		return fmt.Errorf("status %d, want 200", c.resp.StatusCode())
	}
	return nil
}
