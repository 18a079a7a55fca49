package server

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/getsmall/getsmall/router"
)

// documentedStatus is every status the README says the server answers with.
var documentedStatus = map[int]bool{
	200: true, // GET, HEAD /health
	400: true, // a request fasthttp cannot parse
	404: true, // any other path
	405: true, // any other method on /health
	408: true, // a request not read within the read timeout
	413: true, // a body over MAX_BODY_BYTES
	431: true, // a header over MAX_HEADER_BYTES
	503: true, // draining, or over the connection cap
	505: true, // an HTTP major version other than 1
}

// Request smuggling and parser-confusion shapes, seeded into FuzzServe: each is a known way
// for two parsers to disagree about where one request ends.
var smugglingSeeds = []string{
	// Content-Length and Transfer-Encoding together.
	"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
	"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGPOST /health HTTP/1.1\r\nContent-Length: 15\r\n\r\nx=1\r\n0\r\n\r\n",
	// Two Content-Lengths, equal and not.
	"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
	"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabcGET /health HTTP/1.1\r\nHost: x\r\n\r\n",
	"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc",
	// obs-fold: a header continued on the next line.
	"GET /health HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
	"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
	// Bare LF line endings, and a bare CR.
	"GET /health HTTP/1.1\nHost: x\n\nGET /nope HTTP/1.1\nHost: x\n\n",
	"GET /health HTTP/1.1\rHost: x\r\n\r\n",
	// Absolute-form targets.
	"GET http://evil.example/health HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET http://evil.example/nope HTTP/1.1\r\nHost: evil.example\r\n\r\n",
	// Huge and odd chunk sizes.
	"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n",
	"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n\r\n",
	"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n",
	// Transfer-Encoding variants that some parsers ignore.
	"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
	"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
	"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
	// Content-Length that is not a plain number.
	"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
	"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc",
	// Limits: a body and a header just over them, and a HEAD followed by a GET.
	"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 4097\r\n\r\n",
	"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + string(bytes.Repeat([]byte("a"), 4100)) + "\r\n\r\n",
	"HEAD /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n",
	// Odd request lines and versions.
	"GET  /health HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /health HTTP/1.0\r\n\r\n",
	"GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
	"GET /health\r\n\r\n",
	"\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /he\x00alth HTTP/1.1\r\nHost: x\r\n\r\n",
	"",
	// Versions: other majors get 505, later 1.x minors are served as 1.1 when they carry a
	// Host, and versions that are not DIGIT.DIGIT are malformed.
	"GET /health HTTP/2.0\r\nHost: x\r\n\r\n",
	"GET /health HTTP/1.2\r\nHost: x\r\n\r\nGET /health HTTP/1.2\r\n\r\n",
	"GET /health HTTP/1.10\r\nHost: x\r\n\r\n",
	// Bare LF at the end of a head in every form, alone and after a good request.
	"GET /health HTTP/1.1\r\nHost: x\r\n\n",
	"GET /health HTTP/1.1\r\nHost: x\n\r\n",
	"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\nHost: x\n\n",
	"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n\n\n\n\nGET /health HTTP/1.1\nHost: x\n\n",
	// Expect: 100-continue over and within the body limit, and with no content.
	"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n",
	"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc",
	"GET /health HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n",
	// obs-fold in the Host itself, and a header far over the limit.
	"GET /health HTTP/1.1\r\nHost:\r\n x\r\n\r\n",
	"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + string(bytes.Repeat([]byte("a"), 20<<10)) + "\r\n\r\n",
}

// FuzzServe feeds raw bytes to the real server (the router, the default limits) over one
// connection and checks what comes back: no panic (it would end the fuzzing process), an
// end within the read timeout, and nothing but well-formed HTTP/1.1 responses with a
// documented status, none after one that said Connection: close.
func FuzzServe(f *testing.F) {
	for _, s := range smugglingSeeds {
		f.Add([]byte(s))
	}
	cfg := Defaults()
	cfg.ReadTimeout = time.Second // the bound on each input below
	ln := newLoopback(f)
	drain := new(router.Drain)
	s := newServer(cfg, drain)
	stop, done := make(chan os.Signal, 1), make(chan error, 1)
	go func() { done <- s.Run(ln, stop) }()
	f.Cleanup(func() {
		stop <- os.Interrupt
		if err := <-done; err != nil {
			f.Errorf("Run after the fuzzing: %v", err)
		}
	})

	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := ln.Dial()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// The server ends every input within its read timeout; twice that is a hang.
		_ = c.SetDeadline(time.Now().Add(2*cfg.ReadTimeout + time.Second))
		// Write while reading: the server may answer, and stop reading, before the end.
		go func() {
			_, _ = c.Write(in)
			_ = c.CloseWrite()
		}()
		out, err := io.ReadAll(c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("no end within %v; read so far:\n%q", 2*cfg.ReadTimeout+time.Second, out)
		}
		if err := checkResponses(out); err != nil {
			t.Fatalf("%v\ninput:  %q\noutput: %q", err, in, out)
		}
	})
}

// checkResponses parses out as a sequence of HTTP/1.1 responses. Every body the server
// writes is a fixed string that never starts with "HTTP/", which is how a HEAD response
// (Content-Length without a body) is told apart from a response with one.
func checkResponses(out []byte) error {
	closed := false
	for len(out) > 0 {
		if closed {
			return errors.New("a response after Connection: close")
		}
		head, rest, ok := bytes.Cut(out, []byte("\r\n\r\n"))
		if !ok {
			return errors.New("a response without the end of its header")
		}
		lines := bytes.Split(head, []byte("\r\n"))
		status := lines[0]
		if len(status) < 13 || !bytes.HasPrefix(status, []byte("HTTP/1.1 ")) || status[12] != ' ' {
			return errors.New("not an HTTP/1.1 status line: " + strconv.Quote(string(status)))
		}
		code, err := strconv.Atoi(string(status[9:12]))
		if err != nil || !documentedStatus[code] {
			return errors.New("undocumented status: " + strconv.Quote(string(status)))
		}
		length := -1
		for _, h := range lines[1:] {
			k, v, ok := bytes.Cut(h, []byte(": "))
			switch {
			case !ok:
				return errors.New("malformed header line: " + strconv.Quote(string(h)))
			case string(k) == "Content-Length":
				if length, err = strconv.Atoi(string(v)); err != nil || length < 0 {
					return errors.New("bad Content-Length: " + strconv.Quote(string(v)))
				}
			case string(k) == "Connection" && string(v) == "close":
				closed = true
			case string(k) == "Transfer-Encoding":
				return errors.New("a chunked response: every answer here has a length")
			}
		}
		if length < 0 {
			return errors.New("a response without Content-Length")
		}
		if len(rest) > 0 && !bytes.HasPrefix(rest, []byte("HTTP/")) {
			if len(rest) < length {
				return errors.New("a body shorter than its Content-Length")
			}
			rest = rest[length:]
		}
		out = rest
	}
	return nil
}

// loopback is a TCP listener on 127.0.0.1 whose Dial returns the client's end. Unlike
// fasthttputil's in-memory pipes a TCP connection can half-close, so an input that ends
// mid-request reaches the server as EOF at once instead of a read timeout; and loopback TCP
// behaves alike on every system the tests run on.
type loopback struct{ net.Listener }

func newLoopback(f *testing.F) loopback {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	return loopback{ln}
}

// Dial opens a connection to the listener.
func (l loopback) Dial() (*net.TCPConn, error) {
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}
