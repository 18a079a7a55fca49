// Package healthcheck probes a running server's /health. It is what a container's
// HEALTHCHECK runs, where there is no shell and no curl, so it is written against the
// net package directly: an HTTP client would add hundreds of kilobytes to every image for
// one request line and one status line. Measure before adding to it: it costs about 10 KB
// of the stripped binary (see docs/running.md).
package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"
)

// Timeout bounds a whole probe, dial to status line.
const Timeout = 2 * time.Second

// URLFor returns the /health URL of a server listening on addr, reached from the same host:
// an empty or unspecified host (":8080", "0.0.0.0:8080", "[::]:8080") becomes 127.0.0.1,
// any other host is used as given, so a server bound to [::1] only is probed there.
func URLFor(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = "", addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/health"
}

// Probe sends one GET to rawURL (plain http) and returns nil if the status is 200 within
// timeout. Any other outcome is an error that reads well on one line.
func Probe(rawURL string, timeout time.Duration) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" || u.Host == "" || u.User != nil {
		return fmt.Errorf("bad url %q: want http://host:port/path", rawURL)
	}
	hostport := u.Host
	if u.Port() == "" {
		hostport = net.JoinHostPort(u.Hostname(), "80")
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return err // "dial tcp 127.0.0.1:8080: connect: connection refused"
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	req := "GET " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		return err
	}
	// "HTTP/1.1 200" is all that is needed; the rest of the answer is left unread.
	var status [12]byte
	if _, err := io.ReadFull(conn, status[:]); err != nil {
		return fmt.Errorf("reading the status line: %w", err)
	}
	code, err := statusCode(status)
	if err != nil {
		return err
	}
	if code != 200 {
		return fmt.Errorf("status %d, want 200", code)
	}
	return nil
}

// statusCode parses the start of an HTTP/1.x status line: "HTTP/1.x NNN".
func statusCode(b [12]byte) (int, error) {
	if string(b[:7]) != "HTTP/1." || b[8] != ' ' {
		return 0, errors.New("not an HTTP/1.x response")
	}
	code := 0
	for _, c := range b[9:12] {
		if c < '0' || c > '9' {
			return 0, errors.New("not an HTTP/1.x response")
		}
		code = code*10 + int(c-'0')
	}
	return code, nil
}
