//go:build metrics

// Package metrics reads what the binary's /metrics writes with Prometheus's own text
// parser (github.com/prometheus/common/expfmt, kept out of the product's go.mod), and holds
// the counts to the traffic sent: what a scraper sees is what happened. Behind the metrics
// build tag: make test-metrics.
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/getsmall/getsmall/test/internal/testbin"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

const bound = 10 * time.Second

// server is the echo binary (a route that reads bodies beside /health) running with its
// metrics on.
type server struct{ addr, metrics string }

// start builds and starts getsmall-echo with a small connection cap and the access log on.
func start(t *testing.T) server {
	t.Helper()
	addr, metrics := testbin.ServeMetrics(t, testbin.Echo(t), "MAX_CONNS=3", "LOG_REQUESTS=1")
	return server{addr: addr, metrics: metrics}
}

// scrape parses /metrics with Prometheus's text parser and checks what every family must
// be: helped, typed, and a histogram's buckets cumulative up to its count.
func (s server) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	client := http.Client{Timeout: bound}
	resp, err := client.Get("http://" + s.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Fatalf("GET /metrics: %d, Content-Type %q", resp.StatusCode, ct)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("Prometheus's parser refuses /metrics: %v", err)
	}
	for name, f := range families {
		if f.GetHelp() == "" || f.Type == nil {
			t.Errorf("%s: no HELP or no TYPE", name)
		}
		for _, m := range f.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				last := uint64(0)
				for _, b := range h.GetBucket() {
					if b.GetCumulativeCount() < last {
						t.Errorf("%s%v: bucket le=%v counts %d, fewer than the one below", name, m.GetLabel(), b.GetUpperBound(), b.GetCumulativeCount())
					}
					last = b.GetCumulativeCount()
				}
				if last > h.GetSampleCount() {
					t.Errorf("%s%v: buckets count %d, more than the count %d", name, m.GetLabel(), last, h.GetSampleCount())
				}
			}
		}
	}
	return families
}

// value is the sample of the series of name with exactly labels, 0 if there is none.
func value(families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := families[name]
	if f == nil {
		return 0
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, p := range m.GetLabel() {
			got[p.GetName()] = p.GetValue()
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return 0
}

// waitOpen waits until the server holds n connections: a closed one leaves the cap a
// moment after its client closes it.
func (s server) waitOpen(t *testing.T, n float64) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for value(s.scrape(t), "http_connections_open") != n {
		if time.Now().After(deadline) {
			t.Fatalf("http_connections_open never came to %v", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// send writes req n times on new connections and reads each answer.
func send(t *testing.T, addr, req string, n int) {
	t.Helper()
	for range n {
		c, err := net.DialTimeout("tcp", addr, bound)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(bound))
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("%q: %v", req, err)
		}
		_ = resp.Body.Close()
		_ = c.Close()
	}
}

// TestScrapedCountsFollowTraffic scrapes, sends traffic of every kind, scrapes again and
// holds each series' increase to what was sent.
func TestScrapedCountsFollowTraffic(t *testing.T) {
	s := start(t)
	before := s.scrape(t)
	for _, name := range []string{"http_connections_open", "http_connections_max", "http_connections_refused_total", "http_draining",
		"getsmall_build_info", "http_access_log_dropped_total", "go_goroutines", "go_memstats_heap_inuse_bytes", "go_gc_cycles_total"} {
		if before[name] == nil {
			t.Errorf("no %s before any traffic", name)
		}
	}
	send(t, s.addr, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 7)
	send(t, s.addr, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 4)
	send(t, s.addr, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 3)
	send(t, s.addr, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", 2)
	send(t, s.addr, "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 1)
	// Three silent connections fill the cap until READ_TIMEOUT (5 s), once the connections
	// above have left it; the next two are answered 503.
	s.waitOpen(t, 0)
	for range 3 {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	s.waitOpen(t, 3)
	send(t, s.addr, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 2)
	after := s.scrape(t)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"http_requests_total", []string{"method", "GET", "route", "/health", "status", "200"}, 7},
		{"http_requests_total", []string{"method", "POST", "route", "/echo", "status", "200"}, 4},
		{"http_requests_total", []string{"method", "GET", "route", "none", "status", "404"}, 3},
		{"http_requests_total", []string{"method", "POST", "route", "/echo", "status", "413"}, 2},
		{"http_requests_total", []string{"method", "other", "route", "none", "status", "400"}, 1},
		{"http_request_duration_seconds", []string{"route", "/health"}, 7},
		{"http_request_duration_seconds", []string{"route", "/echo"}, 6},
		{"http_refusals_total", []string{"status", "413"}, 2},
		{"http_refusals_total", []string{"status", "400"}, 1},
		{"http_refusals_total", []string{"status", "503"}, 2},
		{"http_connections_refused_total", nil, 2},
	} {
		got := value(after, c.name, c.labels...) - value(before, c.name, c.labels...)
		if got != c.want {
			t.Errorf("%s%v went up by %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := value(after, "http_connections_open"); got != 3 {
		t.Errorf("http_connections_open = %v with three connections held, want 3", got)
	}
	if got := value(after, "http_connections_max"); got != 3 {
		t.Errorf("http_connections_max = %v, want MAX_CONNS, 3", got)
	}
	if info := after["getsmall_build_info"].GetMetric(); len(info) != 1 || len(info[0].GetLabel()) != 4 || value(after, "getsmall_build_info",
		"version", "echo", "commit", "test", "goversion", info[0].GetLabel()[2].GetValue(), "fasthttp", info[0].GetLabel()[3].GetValue()) != 1 {
		t.Errorf("getsmall_build_info: %v, want 1 with version, commit, goversion and fasthttp", info)
	}
}
