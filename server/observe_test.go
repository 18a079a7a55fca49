//go:build !floppy

package server

import (
	"encoding/json"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/bodyroute"
	"github.com/getsmall/getsmall/internal/rawhttp"
	"github.com/getsmall/getsmall/metrics"
	"github.com/getsmall/getsmall/router"
)

// lockedBuffer is a writer the test reads while the server writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// observed is a server running with metrics and the access log on.
type observed struct {
	addr, metricsAddr string
	log               *lockedBuffer
	drain             *router.Drain
	stop              chan os.Signal
	done              chan struct{} // closed when Run has returned err
	err               error
}

// serveObserved runs the test router with cfg, metrics on a loopback listener of their own
// and the access log into a buffer.
func serveObserved(t *testing.T, cfg Config) *observed {
	t.Helper()
	log := new(lockedBuffer)
	o := serveLogging(t, cfg, log)
	o.log = log
	return o
}

// serveLogging is serveObserved with the access log written to w.
func serveLogging(t *testing.T, cfg Config, w io.Writer) *observed {
	t.Helper()
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &observed{addr: ln.Addr().String(), metricsAddr: mln.Addr().String(),
		drain: new(router.Drain), stop: make(chan os.Signal, 1), done: make(chan struct{})}
	cfg.LogRequests = true
	s := newServer(cfg, o.drain)
	s.MetricsListener, s.AccessLog, s.Metrics = mln, w, metrics.NewRegistry()
	s.Route = testRouter(o.drain).Route
	go func() { o.err = s.Run(ln, o.stop); close(o.done) }()
	t.Cleanup(func() { _ = o.shutDown(t) })
	return o
}

// shutDown sends SIGTERM, unless Run has returned already, and waits for Run.
func (o *observed) shutDown(t *testing.T) error {
	t.Helper()
	select {
	case <-o.done:
		return o.err
	case o.stop <- syscall.SIGTERM:
	}
	select {
	case <-o.done:
		return o.err
	case <-time.After(bound):
		t.Fatal("Run did not return after SIGTERM")
		return nil
	}
}

// scrape returns every sample /metrics wrote, by series: name{labels} → value.
func (o *observed) scrape(t *testing.T) map[string]string {
	t.Helper()
	c, br := dialTCP(t, o.metricsAddr)
	defer c.Close() // the metrics listener serves eight at once
	a, err := exchange(t, c, br, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
	if err != nil || a.Status != 200 {
		t.Fatalf("GET /metrics: %+v, %v", a, err)
	}
	samples := map[string]string{}
	for _, line := range strings.Split(a.Body, "\n") {
		if series, value, ok := strings.Cut(line, " "); ok && !strings.HasPrefix(line, "#") {
			samples[series] = value
		}
	}
	return samples
}

// waitFor waits until /metrics says series is want.
func (o *observed) waitFor(t *testing.T, series, want string) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for o.scrape(t)[series] != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s never came to %s", series, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestMetricsCountAnswers sends requests of every kind, then checks what /metrics says of
// them, and that the service's own port does not serve /metrics.
func TestMetricsCountAnswers(t *testing.T) {
	t.Parallel()
	cfg := Defaults()
	cfg.ReadTimeout = 300 * time.Millisecond
	cfg.MaxConns = 3
	o := serveObserved(t, cfg)
	// Each request has a connection of its own, and the next waits until the server has
	// let it go: three take the cap.
	send := func(req string, n int) {
		for range n {
			c, br := dialTCP(t, o.addr)
			if _, err := exchange(t, c, br, req); err != nil {
				t.Fatalf("%q: %v", req, err)
			}
			_ = c.Close()
			o.waitFor(t, "http_connections_open", "0")
		}
	}
	send(get("/health"), 3)
	send("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n", 1)
	send("POST /health HTTP/1.1\r\nHost: x\r\n\r\n", 1)
	send(get("/metrics"), 1)
	send("PROPFIND /nope HTTP/1.1\r\nHost: x\r\n\r\n", 1)
	send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi", 2)
	send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(bodyroute.Limit+1)+"\r\n\r\n", 1)
	send("GARBAGE\r\n\r\n", 1)
	send("GET /health HTTP/2.0\r\nHost: x\r\n\r\n", 1)
	send("GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: "+strings.Repeat("a", cfg.MaxHeaderBytes)+"\r\n\r\n", 1)
	send("GET /health HTTP/1.1\r\nHost: x\r\n", 1) // then silence: 408
	// Fill the cap with idle connections, then one more.
	for range cfg.MaxConns {
		c, br := dialTCP(t, o.addr)
		if _, err := exchange(t, c, br, get("/health")); err != nil {
			t.Fatal(err)
		}
	}
	{
		_, br := dialTCP(t, o.addr)
		if a, err := rawhttp.Read(br, false); err != nil || a.Status != 503 {
			t.Fatalf("over the cap: %+v, %v", a, err)
		}
	}
	got := o.scrape(t)
	for series, want := range map[string]string{
		`http_requests_total{route="/health",method="GET",status="200"}`:  "6",
		`http_requests_total{route="/health",method="HEAD",status="200"}`: "1",
		`http_requests_total{route="/health",method="POST",status="405"}`: "1",
		`http_requests_total{route="none",method="GET",status="404"}`:     "1",
		`http_requests_total{route="none",method="other",status="404"}`:   "1",
		`http_requests_total{route="/echo",method="POST",status="200"}`:   "2",
		`http_requests_total{route="/echo",method="POST",status="413"}`:   "1",
		`http_requests_total{route="none",method="other",status="400"}`:   "1",
		`http_requests_total{route="/health",method="GET",status="505"}`:  "1",
		`http_requests_total{route="none",method="other",status="431"}`:   "1",
		`http_requests_total{route="none",method="other",status="408"}`:   "1",
		`http_request_duration_seconds_count{route="/health"}`:            "9",
		`http_refusals_total{status="400"}`:                               "1",
		`http_refusals_total{status="408"}`:                               "1",
		`http_refusals_total{status="413"}`:                               "1",
		`http_refusals_total{status="431"}`:                               "1",
		`http_refusals_total{status="503"}`:                               "1",
		`http_refusals_total{status="505"}`:                               "1",
		`http_connections_refused_total`:                                  "1",
		`http_connections_open`:                                           "3",
		`http_connections_max`:                                            "3",
		`http_draining`:                                                   "0",
		`http_access_log_dropped_total`:                                   "0",
	} {
		if got[series] != want {
			t.Errorf("%s = %q, want %s", series, got[series], want)
		}
	}
	o.drain.Start()
	if got := o.scrape(t)["http_draining"]; got != "1" {
		t.Errorf("http_draining = %q once the drain started, want 1", got)
	}
}

// TestMetricsListener checks the metrics listener answers /metrics alone.
func TestMetricsListener(t *testing.T) {
	t.Parallel()
	o := serveObserved(t, Defaults())
	for req, want := range map[string]int{
		"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n":  200,
		"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n": 200,
		"POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n": 405,
		"GET /health HTTP/1.1\r\nHost: x\r\n\r\n":   404,
	} {
		c, br := dialTCP(t, o.metricsAddr)
		if a, err := exchange(t, c, br, req); err != nil || a.Status != want {
			t.Errorf("%q on the metrics listener: %+v, %v; want %d", req, a, err, want)
		}
	}
}

// logLine is one access log line as JSON reads it.
type logLine struct {
	Time, Remote, Method, Path string
	Status, Bytes              int
	DurationUS                 *int `json:"duration_us"`
}

// TestAccessLog checks the line each request gets: answered by a route, refused by the
// server after its head was read, and refused before it.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	o := serveObserved(t, Defaults())
	for _, req := range []string{get("/health?token=secret"), "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 9999\r\n\r\n", "GARBAGE\r\n\r\n"} {
		c, br := dialTCP(t, o.addr)
		if _, err := exchange(t, c, br, req); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.shutDown(t); err != nil { // Run writes the waiting lines out before it returns
		t.Fatal(err)
	}
	want := []logLine{
		{Method: "GET", Path: "/health", Status: 200, Bytes: 15},
		{Method: "HEAD", Path: "/health", Status: 200},
		{Method: "POST", Path: "/echo", Status: 413, Bytes: len("413 content too large\n")},
		{Status: 400, Bytes: len("400 bad request\n")},
	}
	lines := strings.Split(strings.TrimSuffix(o.log.String(), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), o.log.String())
	}
	remote := regexp.MustCompile(`^127\.0\.0\.1:\d+$`)
	for i, line := range lines {
		var got logLine
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Errorf("line %d is not JSON: %v\n%s", i, err, line)
			continue
		}
		if _, err := time.Parse(time.RFC3339Nano, got.Time); err != nil || !remote.MatchString(got.Remote) || got.DurationUS == nil {
			t.Errorf("line %d: time %q, remote %q, duration %v", i, got.Time, got.Remote, got.DurationUS)
		}
		if got.Method != want[i].Method || got.Path != want[i].Path || got.Status != want[i].Status || got.Bytes != want[i].Bytes {
			t.Errorf("line %d: %s\nwant %+v", i, line, want[i])
		}
	}
}

// TestStalledLogDoesNotStallServing serves with the access log written to a pipe nobody
// reads: every request is still answered, and the lines that found no room are counted.
func TestStalledLogDoesNotStallServing(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(); _ = w.Close() })
	o := serveLogging(t, Defaults(), w)
	c, br := dialTCP(t, o.addr)
	// A pipe holds 64 KiB and the log's buffers 64 KiB more: 5,000 lines are three times both.
	const requests = 5000
	req := []byte(get("/health"))
	for i := range requests {
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		if a, err := rawhttp.Read(br, false); err != nil || a.Status != 200 {
			t.Fatalf("request %d with stdout stalled: %+v, %v", i, a, err)
		}
	}
	dropped, _ := strconv.Atoi(o.scrape(t)["http_access_log_dropped_total"])
	if dropped < requests/2 {
		t.Errorf("http_access_log_dropped_total = %d after %d requests into a stalled pipe; want most of them", dropped, requests)
	}
	start := time.Now()
	if err := o.shutDown(t); err != nil {
		t.Errorf("shutdown with stdout stalled: %v", err)
	}
	t.Logf("shutdown with stdout stalled took %v", time.Since(start))
}
