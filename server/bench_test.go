package server

import (
	"bufio"
	"testing"

	"github.com/getsmall/getsmall/router"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// BenchmarkServe measures whole requests through the configured fasthttp server, parsing
// and writing included, on one keep-alive connection over an in-memory pipe. allocs/op
// counts both sides: the client here reuses its buffers, so what shows is the server's.
func BenchmarkServe(b *testing.B) {
	for _, tc := range []struct{ name, req string }{
		{"GET health", "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"HEAD health", "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"GET not found", "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			drain := new(router.Drain)
			s := &Server{Config: Defaults(), Handler: router.New(router.Options{Drain: drain}), Drain: drain}
			srv := s.fasthttpServer()
			ln := fasthttputil.NewInmemoryListener()
			go func() { _ = srv.Serve(ln) }()
			defer func() { _ = srv.Shutdown() }()
			c, err := ln.Dial()
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			req := []byte(tc.req)
			br := bufio.NewReader(c)
			var resp fasthttp.Response
			resp.SkipBody = tc.req[0] == 'H'
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				if err := resp.Read(br); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
