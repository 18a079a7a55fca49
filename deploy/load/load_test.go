package load

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	r := &Result{}
	for i := 1; i <= 100; i++ {
		r.Latencies = append(r.Latencies, time.Duration(101-i)*time.Millisecond) // unsorted on purpose
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {99.5, 100 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.1, time.Millisecond}} {
		if got := r.Percentile(tc.p); got != tc.want {
			t.Errorf("Percentile(%v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := (&Result{}).Percentile(99); got != 0 {
		t.Errorf("Percentile of nothing = %v, want 0", got)
	}
}

func TestRunCountsEveryAnswer(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"draining"}`))
		}
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Config{URL: srv.URL, Rate: 1000, Workers: 4, MaxRequests: 100, MaxDuration: 30 * time.Second, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 100 || res.Errors != 0 {
		t.Fatalf("%v: want 100 requests, no errors", res)
	}
	if res.Statuses[503] != 10 || res.OK != 90 || res.Non200() != 10 || res.Other[`503 {"status":"draining"}`] != 10 {
		t.Errorf("%v: want 90 x 200 and 10 x 503", res)
	}
	if res.Retried != 0 {
		t.Errorf("%v: an answer, a 503 included, is never retried", res)
	}
	if len(res.Latencies) != 100 {
		t.Errorf("%d latencies for 100 answers", len(res.Latencies))
	}
	if len(res.Failures) != 10 || res.Failures[0].Status != 503 || res.Failures[0].Body != `{"status":"draining"}` {
		t.Errorf("failures %v, want the 10 503s", res.Failures)
	}
	if res.KeepAlive.Requests+res.Fresh.Requests != 100 || res.KeepAlive.OK+res.Fresh.OK != 90 {
		t.Errorf("kept-alive %v + new %v do not add up to the total", &res.KeepAlive, &res.Fresh)
	}
}

func TestRunCountsRefusedConnections(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	res, err := Run(context.Background(), Config{URL: url, Rate: 200, Workers: 2, MaxRequests: 10, MaxDuration: 30 * time.Second, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 10 || res.OK != 0 || res.Retried != 0 || len(res.Failures) != 10 || res.Failures[0].Err == "" {
		t.Errorf("%v: want 10 errors, each recorded", res)
	}
	if res.KeepAlive.Errors+res.Fresh.Errors != 10 || res.KeepAlive.Requests == 0 || res.Fresh.Requests == 0 {
		t.Errorf("%v: want the errors split over both kinds of client", res)
	}
}

func TestRunStopsAtMaxDuration(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	res, err := Run(context.Background(), Config{URL: srv.URL, Rate: 100, Workers: 2, MaxRequests: 1 << 30, MaxDuration: 300 * time.Millisecond, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// 100/s for 0.3 s is about 30 requests; far fewer than the request bound proves the
	// duration bound ended the run.
	if res.Requests == 0 || res.Requests > 1000 {
		t.Errorf("%d requests in a 300 ms run at 100/s", res.Requests)
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	t.Parallel()
	if _, err := Run(context.Background(), Config{URL: "http://127.0.0.1:1"}); err == nil {
		t.Error("a config without bounds was accepted")
	}
}

// serveRaw answers GET requests on ln by hand: a new connection's first request gets a
// 200 kept alive, the next one on it is read and the connection closed without an answer,
// the way an idle connection closed by the server crosses the client's next request.
func serveRaw(t *testing.T, ln net.Listener) {
	t.Helper()
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			r := bufio.NewReader(conn)
			for i := 0; ; i++ {
				req, err := http.ReadRequest(r)
				if err != nil || i == 1 {
					return
				}
				_ = req.Body.Close()
				if _, err := conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}")); err != nil {
					return
				}
			}
		}()
	}
}

// TestRunCountsRetries shows the client's retry: each request after the first is sent on
// a kept-alive connection the server closes unanswered, so the client sends it again on
// a new one. Every request gets its 200, and the count of retries says what happened.
func TestRunCountsRetries(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go serveRaw(t, ln)
	res, err := Run(context.Background(), Config{URL: "http://" + ln.Addr().String() + "/health", Rate: 100, Workers: 1, MaxRequests: 5, MaxDuration: 30 * time.Second, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 5 || res.OK != 5 || res.Errors != 0 || res.Retried != 4 || res.KeepAlive.Retried != 4 {
		t.Errorf("%v: want 5 x 200, the last 4 retried", res)
	}
}

// TestRunCountsClosingAnswers tells a kept-alive client's answers that closed their
// connection, as a draining server's do, from those that kept it.
func TestRunCountsClosingAnswers(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1)%2 == 0 {
			w.Header().Set("Connection", "close")
		}
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Config{URL: srv.URL, Rate: 1000, Workers: 1, MaxRequests: 10, MaxDuration: 30 * time.Second, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK != 10 || res.KeepAlive.Closed != 5 || res.Retried != 0 {
		t.Errorf("%v: want 10 x 200, 5 of them closing, no retry", res)
	}
}
