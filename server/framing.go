package server

import (
	"bytes"
	"errors"
)

// errBareLF is a request head that ends on an empty line that is not CRLF CRLF. fasthttp
// finds the end of a head by CRLF CRLF alone, so it would wait for more bytes until the read
// timeout; the connection reports this error instead, and the request is answered 400 at
// once (RFC 9112 section 2.2 lets a server refuse a bare LF).
var errBareLF = errors.New("a request head ends with a bare LF")

// framing follows the bytes a connection reads, request by request, to find a head whose
// empty line is a bare LF: each head line by line, then a body of its Content-Length, then
// the next head. It looks at line ends only (bytes.IndexByte), so a head costs it a few
// nanoseconds. A chunked body, or a Content-Length line split so that it cannot be read,
// ends the following: it never mistakes a body's bytes for a head's, and at worst a later
// bare-LF head on that connection waits for the read timeout.
type framing struct {
	off      bool  // no longer following
	body     int64 // body bytes still to come
	started  bool  // the current head has had its request line
	crlf     bool  // the previous line of the current head ended with CRLF
	length   int64 // the current head's Content-Length, -1 without one
	line     [32]byte
	lineLen  int  // bytes of the current line seen so far (those past len(line) not kept)
	cr       bool // the last byte seen was a CR
	chunked  bool // the current head has a Transfer-Encoding
	multiple bool // the current head has a second Content-Length
}

// newFraming starts following a connection's first head.
func newFraming() framing { return framing{length: -1} }

// ahead reports whether the bytes read so far hold part of a request body still to be
// read, or could (once the framing stopped following, it cannot tell).
func (f *framing) ahead() bool { return f.off || f.body > 0 }

// between reports whether the bytes read so far end a request: none of the next has come.
func (f *framing) between() bool { return !f.off && !f.started && f.body == 0 && f.lineLen == 0 }

// feed follows p, the next bytes read. It returns errBareLF when a head ended on a bare LF.
func (f *framing) feed(p []byte) error {
	for len(p) > 0 && !f.off {
		if f.body > 0 {
			n := min(int64(len(p)), f.body)
			f.body -= n
			p = p[n:]
			continue
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			f.keep(p)
			return nil
		}
		f.keep(p[:i])
		p = p[i+1:]
		if err := f.endLine(); err != nil {
			return err
		}
	}
	return nil
}

// keep adds b to the current line: its first bytes, for the header name and value the
// framing reads, and whether it ends with a CR.
func (f *framing) keep(b []byte) {
	if len(b) == 0 {
		return
	}
	if f.lineLen < len(f.line) {
		copy(f.line[f.lineLen:], b)
	}
	f.lineLen += len(b)
	f.cr = b[len(b)-1] == '\r'
}

// endLine handles a line that ended with an LF.
func (f *framing) endLine() error {
	crlf := f.cr
	empty := f.lineLen == 0 || f.lineLen == 1 && crlf
	text := f.line[:min(f.lineLen, len(f.line))]
	cut := f.lineLen > len(f.line)
	f.lineLen, f.cr = 0, false
	switch {
	case empty && !f.started:
		return nil // empty lines before a request line are allowed (RFC 9112 section 2.2)
	case empty:
		if !crlf || !f.crlf {
			f.off = true
			return errBareLF
		}
		if f.chunked || f.multiple {
			f.off = true // fasthttp frames these itself, or refuses them
			return nil
		}
		f.body = max(f.length, 0)
		f.started, f.length = false, -1
		return nil
	case !f.started:
		f.started = true
	default:
		f.header(text, cut)
	}
	f.crlf = crlf
	return nil
}

// header reads the framing headers among a head's lines; cut says the line was longer than
// what was kept of it.
func (f *framing) header(text []byte, cut bool) {
	name, value, ok := bytes.Cut(text, []byte(":"))
	switch {
	case !ok:
	case equalFold(name, "transfer-encoding"):
		f.chunked = true
	case equalFold(name, "content-length"):
		n, ok := parseLength(bytes.TrimSpace(bytes.TrimSuffix(value, []byte("\r"))))
		if !ok || cut || f.length >= 0 {
			f.multiple = true // unreadable, cut off or repeated: leave it to fasthttp
			return
		}
		f.length = n
	}
}

// parseLength reads a Content-Length of at most 15 digits.
func parseLength(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// equalFold compares ASCII case-insensitively without allocating.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if b[i]|0x20 != s[i] {
			return false
		}
	}
	return true
}
