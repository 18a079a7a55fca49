package healthcheck

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestURLFor(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		":8080":              "http://127.0.0.1:8080/health",
		"0.0.0.0:9000":       "http://127.0.0.1:9000/health",
		"[::]:9000":          "http://127.0.0.1:9000/health",
		"[::1]:9000":         "http://[::1]:9000/health",
		"127.0.0.2:1":        "http://127.0.0.2:1/health",
		"localhost:8080":     "http://localhost:8080/health",
		"service.local:8081": "http://service.local:8081/health",
	}
	for addr, want := range tests {
		if got := URLFor(addr); got != want {
			t.Errorf("URLFor(%q) = %q, want %q", addr, got, want)
		}
	}
}

// fakeServer accepts connections on loopback and answers each with reply (nothing when
// reply is empty: a server that hangs). It returns the address.
func fakeServer(t *testing.T, addr, reply string) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 1024)
				n, _ := c.Read(buf)
				if !strings.HasPrefix(string(buf[:n]), "GET /health?probe=1 HTTP/1.1\r\nHost: ") {
					_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\n\r\n")
					return
				}
				if reply == "" {
					time.Sleep(time.Second)
					return
				}
				_, _ = io.WriteString(c, reply)
			}()
		}
	}()
	return ln.Addr().String()
}

func TestProbe(t *testing.T) {
	t.Parallel()
	ok := fakeServer(t, "127.0.0.1:0", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	ok6 := fakeServer(t, "[::1]:0", "HTTP/1.0 200 OK\r\n\r\n")
	draining := fakeServer(t, "127.0.0.1:0", "HTTP/1.1 503 Service Unavailable\r\n\r\n")
	garbage := fakeServer(t, "127.0.0.1:0", "SSH-2.0-OpenSSH_9.2p1 Debian\r\n")
	short := fakeServer(t, "127.0.0.1:0", "HTTP/1.1 2")
	silent := fakeServer(t, "127.0.0.1:0", "")
	closed := func() string { // a port nothing listens on
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}()

	tests := map[string]struct {
		url     string
		wantErr string // "" means success
	}{
		"200":                {url: "http://" + ok + "/health?probe=1"},
		"200 over IPv6":      {url: "http://" + ok6 + "/health?probe=1"},
		"503":                {url: "http://" + draining + "/health?probe=1", wantErr: "status 503, want 200"},
		"not HTTP":           {url: "http://" + garbage + "/health?probe=1", wantErr: "not an HTTP/1.x response"},
		"cut short":          {url: "http://" + short + "/health?probe=1", wantErr: "reading the status line: unexpected EOF"},
		"silent":             {url: "http://" + silent + "/health?probe=1", wantErr: "i/o timeout"},
		"connection refused": {url: "http://" + closed + "/health", wantErr: "connection refused"},
		"https":              {url: "https://" + ok + "/health", wantErr: "want http://host:port/path"},
		"no host":            {url: "http:///health", wantErr: "want http://host:port/path"},
		"not a url":          {url: "::", wantErr: "want http://host:port/path"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := Probe(tc.url, 200*time.Millisecond)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Probe = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Probe = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}
