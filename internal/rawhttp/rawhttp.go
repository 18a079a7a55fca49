// Package rawhttp reads HTTP/1.1 responses off a raw connection, for the tests and load
// tools that speak HTTP byte by byte (slow clients, malformed requests, pipelining), where
// an HTTP client library would hide what the server sent. It is never linked into getsmall.
package rawhttp

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrMalformed marks an answer that is not a well-formed HTTP/1.1 response.
var ErrMalformed = errors.New("not an HTTP/1.1 response")

// StatusOf parses the status code of an HTTP/1.1 status line ("HTTP/1.1 200 OK").
func StatusOf(line []byte) (int, error) {
	s := string(line)
	if !strings.HasPrefix(s, "HTTP/1.1 ") || len(s) < 12 {
		return 0, fmt.Errorf("%w: status line %q", ErrMalformed, s)
	}
	code, err := strconv.Atoi(s[9:12])
	if err != nil {
		return 0, fmt.Errorf("%w: status code in %q", ErrMalformed, s)
	}
	return code, nil
}

// ReadResponse reads one response and returns its status, skipping the body that
// Content-Length announces (none when head says it answers a HEAD request). The status is 0
// when no status line could be read; an error wrapping ErrMalformed means the server sent
// something that is not HTTP/1.1.
func ReadResponse(br *bufio.Reader, head bool) (int, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return 0, err
	}
	status, err := StatusOf([]byte(line))
	if err != nil {
		return 0, err
	}
	length := 0
	for {
		h, err := br.ReadString('\n')
		if err != nil {
			return status, err
		}
		if h == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(h, ":"); ok && strings.EqualFold(k, "Content-Length") {
			if length, err = strconv.Atoi(strings.TrimSpace(v)); err != nil {
				return status, fmt.Errorf("%w: Content-Length %q", ErrMalformed, v)
			}
		}
	}
	if !head {
		_, err = br.Discard(length)
	}
	return status, err
}
