package main

import (
	"bufio"
	"io"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStartLineReportsMemory checks the memory part of the start-up line: the limit the
// binary found (or none) with the cap derived from it, and explicit settings marked as
// such. The derivation itself is tested on fake cgroup trees in internal/cli and memlimit;
// test/docker checks it inside a real --memory 16m container.
func TestStartLineReportsMemory(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		env  []string
		args []string
		want string
	}{
		"derived":           {want: `^(no memory limit( known \(no cgroups on \w+\))?|memory limit \d+\.\d MiB, \d+\.\d MiB in use): max-conns [1-9]\d*(, GOMEMLIMIT \d+\.\d MiB)?$`},
		"MAX_CONNS":         {env: []string{"MAX_CONNS=5000"}, want: `: max-conns 5000 \(set\)`},
		"-max-conns":        {env: []string{"MAX_CONNS=5000"}, args: []string{"-max-conns", "7"}, want: `: max-conns 7 \(set\)`},
		"GOMEMLIMIT":        {env: []string{"GOMEMLIMIT=64MiB"}, want: `, GOMEMLIMIT 64\.0 MiB \(set\)$`},
		"empty MAX_CONNS":   {env: []string{"MAX_CONNS="}, want: `: max-conns [1-9]\d*(,|$)`},
		"empty PORT, ADDR":  {env: []string{"PORT=", "ADDR=127.0.0.1:0"}, want: `max-conns`},
		"empty PORT, -addr": {env: []string{"PORT="}, want: `max-conns`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args := tc.args
			if !strings.Contains(strings.Join(tc.env, " "), "ADDR=") {
				args = append(args, "-addr", "127.0.0.1:0")
			}
			p := start(t, tc.env, args...)
			if !regexp.MustCompile(tc.want).MatchString(p.memory) {
				t.Errorf("start-up line's memory part %q, want a match for %s", p.memory, tc.want)
			}
			p.signal(t, syscall.SIGTERM)
			if code, _ := p.wait(t); code != 0 {
				t.Errorf("exit %d, want 0; log %q", code, p.log())
			}
		})
	}
}

// TestOverTheCap fills -max-conns with connections that sent half a header, then checks
// that more connections get a 503 and are closed, and that /health answers 200 within a
// second of the attack's connections closing.
func TestOverTheCap(t *testing.T) {
	t.Parallel()
	p := start(t, nil, "-addr", "127.0.0.1:0", "-max-conns", "4")
	var held []io.Closer
	for range 4 {
		c := dial(t, p.addr)
		if _, err := io.WriteString(c, "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: aaaa"); err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	waitUntil503 := time.Now().Add(bound)
	for {
		sent := time.Now()
		line := statusLine(t, p.addr)
		if strings.HasPrefix(line, "HTTP/1.1 503 ") {
			t.Logf("over the cap: 503 after %v", time.Since(sent))
			break
		}
		if time.Now().After(waitUntil503) {
			t.Fatalf("no 503 over the cap; last answer %q", line)
		}
		time.Sleep(10 * time.Millisecond) // the held connections are still being accepted
	}

	for _, c := range held {
		_ = c.Close()
	}
	closed := time.Now()
	for {
		line := statusLine(t, p.addr)
		if strings.HasPrefix(line, "HTTP/1.1 200 ") {
			t.Logf("200 again %v after the connections closed", time.Since(closed))
			break
		}
		if time.Since(closed) > time.Second {
			t.Fatalf("/health answered %q a second after the connections closed", line)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// statusLine sends GET /health on a new connection and returns the first line of the
// answer, or "" when the connection was reset first.
func statusLine(t *testing.T, addr string) string {
	t.Helper()
	c := dial(t, addr)
	defer c.Close()
	_, _ = io.WriteString(c, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
	line, _ := bufio.NewReader(c).ReadString('\n')
	return line
}
