//go:build proxies

package proxies

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// naiveIdle bounds how long the naive backend keeps a quiet connection, so that none
// outlives the test.
const naiveIdle = time.Minute

// requestLine is what the naive backend takes for the start of a request.
var requestLine = regexp.MustCompile(`^[A-Z]+ (\S+) HTTP/1\.[01]$`)

// startNaive serves getsmall's /health and /echo the way a hand-written server might, to
// prove the smuggling check can fail: it frames every request by Content-Length alone
// (Transfer-Encoding means nothing to it, so a chunked body is read as what follows the
// request), keeps every connection alive, and skips any line that is not a request line
// where a request should start (as servers skip the empty lines RFC 9112 2.2 allows there).
// It returns its loopback address; it stops when the test ends.
func startNaive(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { naiveConn(c) })
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// naiveConn answers the requests of one connection until it closes or idles naiveIdle.
func naiveConn(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		_ = c.SetDeadline(time.Now().Add(naiveIdle))
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		m := requestLine.FindStringSubmatch(strings.TrimRight(line, "\r\n"))
		if m == nil {
			continue // not a request line: skipped
		}
		n := 0
		for {
			field, err := br.ReadString('\n')
			if err != nil {
				return
			}
			field = strings.TrimRight(field, "\r\n")
			if field == "" {
				break
			}
			if k, v, ok := strings.Cut(field, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "Content-Length") {
				n, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		body := make([]byte, max(n, 0))
		if _, err := io.ReadFull(br, body); err != nil {
			return
		}
		status, answer := 404, "404 not found\n"
		switch m[1] {
		case "/health":
			status, answer = 200, healthOK
		case "/echo":
			status, answer = 200, "got:"+string(body)
		}
		if _, err := fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Length: %d\r\n\r\n%s", status, reason[status], len(answer), answer); err != nil {
			return
		}
	}
}

var reason = map[int]string{200: "OK", 404: "Not Found"}
