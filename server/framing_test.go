package server

import (
	"errors"
	"testing"
)

// TestFraming feeds request streams to framing, whole and cut at every byte, and checks
// that it finds a bare-LF head exactly when there is one.
func TestFraming(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		stream  string
		bareLF  bool
		stopped bool // it gave up following: a chunked body, an unreadable length
	}{
		"one GET":                     {stream: "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"},
		"pipelined GETs":              {stream: "GET / HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n"},
		"empty lines first":           {stream: "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"},
		"bare LF throughout":          {stream: "GET / HTTP/1.1\nHost: x\n\n", bareLF: true},
		"bare LF at the end only":     {stream: "GET / HTTP/1.1\r\nHost: x\r\n\n", bareLF: true},
		"bare LF before the empty":    {stream: "GET / HTTP/1.1\r\nHost: x\n\r\n", bareLF: true},
		"bare LF inside, CRLF at end": {stream: "GET / HTTP/1.1\nHost: x\r\n\r\n"},
		"HTTP/1.0 with no header":     {stream: "GET / HTTP/1.0\n\n", bareLF: true},
		"a body with LF LF, then a bare-LF head": {
			stream: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\na\n\nb\n\nGET / HTTP/1.1\nHost: x\n\n", bareLF: true,
		},
		"a body with LF LF, then a good head": {
			stream: "POST / HTTP/1.1\r\ncontent-length:  6 \r\n\r\na\n\nb\n\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
		},
		"chunked: no longer followed": {
			stream: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n\n\n\r\n0\r\n\r\n", stopped: true,
		},
		"two lengths: no longer followed": {
			stream: "POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n\n\n", stopped: true,
		},
		"a length line too long to keep": {
			stream: "POST / HTTP/1.1\r\nContent-Length:                   2\r\n\r\n\n\n", stopped: true,
		},
		"a length that is no number": {stream: "POST / HTTP/1.1\r\nContent-Length: 2x\r\n\r\n\n\n", stopped: true},
	}
	for name, tc := range tests {
		for cut := 0; cut <= len(tc.stream); cut++ {
			f := newFraming()
			err := f.feed([]byte(tc.stream[:cut]))
			if err == nil {
				err = f.feed([]byte(tc.stream[cut:]))
			}
			if got := errors.Is(err, errBareLF); got != tc.bareLF {
				t.Errorf("%s, cut at %d: bare LF found %v, want %v", name, cut, got, tc.bareLF)
				break
			}
			if !tc.bareLF && f.off != tc.stopped {
				t.Errorf("%s, cut at %d: stopped following %v, want %v", name, cut, f.off, tc.stopped)
				break
			}
		}
	}
}

func TestFolded(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]bool{
		"Host: x\r\nX-A: a\r\n":             false,
		"Host: x\r\nX-A: a\r\n b\r\n":       true,
		"Host: x\r\nX-A: a\r\n\tb\r\n":      true,
		"Host: x\r\nX-A: a b\r\nX-B: c\r\n": false,
		"":                                  false,
	} {
		if got := folded([]byte(raw)); got != want {
			t.Errorf("folded(%q) = %v, want %v", raw, got, want)
		}
	}
}
