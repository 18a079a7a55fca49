// Package rawhttp reads HTTP/1.1 responses off a raw connection, for the tests and load
// tools that speak HTTP byte by byte (slow clients, malformed requests, pipelining), where
// an HTTP client library would hide what the server sent. It is never linked into getsmall.
package rawhttp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
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
	h, err := readHead(br)
	if err != nil {
		return h.status, err
	}
	if !head {
		_, err = br.Discard(h.length)
	}
	return h.status, err
}

// Answer is one final response as read off the wire, with the interim ones before it.
type Answer struct {
	Interim []int // the 1xx statuses that came first (100 Continue), in order
	Status  int
	Close   bool   // it said Connection: close
	Body    string // as long as its Content-Length said
}

// Read reads one final response: its interim 1xx answers, its status, whether it closes
// the connection and its body (none when head says it answers a HEAD request). Errors are
// as ReadResponse's; the Answer holds what was read before one.
func Read(br *bufio.Reader, head bool) (Answer, error) {
	var a Answer
	for {
		h, err := readHead(br)
		a.Status, a.Close = h.status, h.close
		if err != nil {
			return a, err
		}
		if h.status >= 200 {
			if head {
				return a, nil
			}
			body := make([]byte, h.length)
			n, err := io.ReadFull(br, body)
			a.Body = string(body[:n])
			return a, err
		}
		a.Interim = append(a.Interim, h.status)
	}
}

// head is what readHead found in a response's status line and header fields.
type head struct {
	status, length int
	close          bool
}

// readHead reads a status line and the header fields after it.
func readHead(br *bufio.Reader) (head, error) {
	var h head
	line, err := br.ReadString('\n')
	if err != nil {
		return h, err
	}
	if h.status, err = StatusOf([]byte(line)); err != nil {
		return h, err
	}
	for {
		field, err := br.ReadString('\n')
		if err != nil {
			return h, err
		}
		if field == "\r\n" {
			return h, nil
		}
		k, v, ok := strings.Cut(field, ":")
		v = strings.TrimSpace(v)
		switch {
		case !ok:
		case strings.EqualFold(k, "Content-Length"):
			if h.length, err = strconv.Atoi(v); err != nil {
				return h, fmt.Errorf("%w: Content-Length %q", ErrMalformed, v)
			}
		case strings.EqualFold(k, "Connection"):
			h.close = strings.EqualFold(v, "close")
		}
	}
}
