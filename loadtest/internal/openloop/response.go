package openloop

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/getsmall/getsmall/internal/rawhttp"
)

// errUnframed is an answer whose end cannot be found without closing the connection.
var errUnframed = errors.New("answer without Content-Length (chunked or read-until-close): not supported")

var (
	crlf2         = []byte("\r\n\r\n")
	contentLength = []byte("content-length:")
)

// nextResponse finds the first complete HTTP/1.1 response in buf. It returns its length and
// status, or n == 0 when buf holds only part of one. It works on the bytes as they are, with
// no copy and no allocation, because the generator calls it once per answer on one CPU.
// Every peer the study measures frames its answers with Content-Length.
func nextResponse(buf []byte) (n, status int, err error) {
	end := bytes.Index(buf, crlf2)
	if end < 0 {
		return 0, 0, nil
	}
	head := buf[:end+2] // every header line with its CRLF
	line := bytes.IndexByte(head, '\n')
	if status, err = rawhttp.StatusOf(head[:line+1]); err != nil {
		return 0, 0, err
	}
	length := -1
	for rest := head[line+1:]; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		h := rest[:i+1]
		rest = rest[i+1:]
		if len(h) > len(contentLength) && asciiEqualFold(h[:len(contentLength)], contentLength) {
			v := bytes.TrimSpace(h[len(contentLength):])
			if length, err = strconv.Atoi(string(v)); err != nil || length < 0 {
				return 0, status, fmt.Errorf("%w: Content-Length %q", rawhttp.ErrMalformed, v)
			}
		}
	}
	if length < 0 {
		return 0, status, errUnframed
	}
	total := end + len(crlf2) + length
	if len(buf) < total {
		return 0, status, nil
	}
	return total, status, nil
}

// asciiEqualFold compares a header name case-insensitively; want is lower case.
func asciiEqualFold(b, want []byte) bool {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != want[i] {
			return false
		}
	}
	return true
}
