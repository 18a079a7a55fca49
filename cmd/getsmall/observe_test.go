package main

import (
	"bufio"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/getsmall/getsmall/internal/rawhttp"
)

var metricsLine = regexp.MustCompile(`^getsmall: metrics on http://(\S+)/metrics$`)

// TestStalledStdoutDoesNotStallServing runs the binary with the access log on and its
// stdout a pipe that nobody reads, as when a log shipper stops: /health is answered every
// time, the lines that found no room are counted in the metrics, and SIGTERM still ends it
// cleanly with a line that says how many were dropped.
func TestStalledStdoutDoesNotStallServing(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(); _ = w.Close() })
	p := startTo(t, w, []string{"LOG_REQUESTS=1", "METRICS_ADDR=127.0.0.1:0"}, "-addr", "127.0.0.1:0")
	waitForLog(t, p, "metrics on ")
	var metricsAddr string
	for _, line := range p.log() {
		if m := metricsLine.FindStringSubmatch(line); m != nil {
			metricsAddr = m[1]
		}
	}
	c := dial(t, p.addr)
	br := bufio.NewReader(c)
	// The pipe holds 64 KiB and the log's two buffers 64 KiB: 5,000 lines are three times that.
	const requests = 5000
	for i := range requests {
		if _, err := io.WriteString(c, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		if a, err := rawhttp.Read(br, false); err != nil || a.Status != 200 {
			t.Fatalf("request %d with stdout stalled: %+v, %v", i, a, err)
		}
	}
	status, _, body := do(t, "GET", "http://"+metricsAddr+"/metrics")
	m := regexp.MustCompile(`(?m)^http_access_log_dropped_total (\d+)$`).FindStringSubmatch(body)
	if status != 200 || m == nil {
		t.Fatalf("GET /metrics: %d, no http_access_log_dropped_total in:\n%s", status, body)
	}
	if dropped, _ := strconv.Atoi(m[1]); dropped < requests/2 {
		t.Errorf("http_access_log_dropped_total %d after %d requests into a stalled stdout; want most of them", dropped, requests)
	}
	p.signal(t, syscall.SIGTERM)
	if code, _ := p.wait(t); code != 0 {
		t.Errorf("exit %d after SIGTERM with stdout stalled, want 0; log %q", code, p.log())
	}
	log := p.log()
	if last := log[len(log)-1]; !strings.HasPrefix(last, "getsmall: access log: ") || !strings.Contains(last, " dropped because stdout was slower") {
		t.Errorf("last log line %q: want what the access log wrote and dropped", last)
	}
}
