// Package load sends a steady, bounded stream of GET requests to one URL and records
// every answer: the rollout tests run it while pods come and go and then require that
// every request got a 200. Half the workers reuse keep-alive connections, as a proxy or
// a service mesh does; the other half open a new connection for every request, so every
// request is routed afresh and a pod that stops accepting too early shows up at once.
//
// The clients are Go's net/http, with its retry: a GET sent on a reused keep-alive
// connection that the server closed before any byte of an answer (it was idle, and the
// close crossed the request) is sent again on a new connection, as browsers do. Only that
// is retried: an answer, a 503 included, is never sent again, and neither is a request
// whose connection was refused or reset on a new connection. Counts.Retried says how often
// the retry happened, so it hides nothing.
package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"slices"
	"sync"
	"time"
)

// Config bounds a run: it ends when ctx is done, after MaxRequests, or after MaxDuration,
// whichever comes first.
type Config struct {
	URL         string
	Rate        int           // requests per second offered, spread over the workers
	Workers     int           // concurrent clients; even ones keep connections alive
	MaxRequests int           // stop after this many
	MaxDuration time.Duration // and after this long
	Timeout     time.Duration // per request
}

// Counts are the answers of one kind of client.
type Counts struct {
	Requests int            // answered or failed
	OK       int            // 200s
	Statuses map[int]int    // every status code seen, with its count
	Other    map[string]int // the answers other than 200, by status and body
	Errors   int            // requests that got no answer (refused, reset, timed out)
	// Retried counts requests the client sent more than once: a reused connection closed
	// before any answer, the request sent again on a new one (the package comment).
	Retried int
	// Closed counts answers that closed their connection (Connection: close). On kept-alive
	// connections that is the server's doing, as a draining server's answers are; the
	// other clients ask for it on every request.
	Closed int
}

func newCounts() Counts { return Counts{Statuses: map[int]int{}, Other: map[string]int{}} }

// Non200 is the number of answers other than 200.
func (c *Counts) Non200() int { return c.Requests - c.Errors - c.OK }

func (c *Counts) String() string {
	return fmt.Sprintf("%d requests, %d x 200, %d other statuses %v, %d errors, %d retried, %d answers closing the connection",
		c.Requests, c.OK, c.Non200(), c.Statuses, c.Errors, c.Retried, c.Closed)
}

// Failure is one request that did not get a 200.
type Failure struct {
	At     time.Time // when the request was sent
	Fresh  bool      // on a new connection (else a kept-alive one)
	Status int       // 0 when there was no answer
	Body   string    // the answer's first bytes
	Err    string
}

func (f Failure) String() string {
	conn := "kept-alive connection"
	if f.Fresh {
		conn = "new connection"
	}
	if f.Err != "" {
		return fmt.Sprintf("%s %s: %s", f.At.Format("15:04:05.000"), conn, f.Err)
	}
	return fmt.Sprintf("%s %s: status %d %s", f.At.Format("15:04:05.000"), conn, f.Status, f.Body)
}

// Result is what a run saw.
type Result struct {
	Counts                           // every request
	KeepAlive, Fresh Counts          // the two kinds of client
	Failures         []Failure       // the first maxFailures requests without a 200
	Missed           int             // ticks no worker was free for (the offered rate was not met)
	Latencies        []time.Duration // of every answered request
	Elapsed          time.Duration
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of the latencies by the
// nearest-rank method, or 0 without latencies.
func (r *Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	sorted := slices.Clone(r.Latencies)
	slices.Sort(sorted)
	rank := int(p / 100 * float64(len(sorted)))
	if float64(rank) < p/100*float64(len(sorted)) {
		rank++
	}
	return sorted[max(rank, 1)-1]
}

func (r *Result) String() string {
	return fmt.Sprintf("%s in %.1f s (kept-alive connections: %v; new connections: %v), %d ticks missed; p50 %v, p99 %v, max %v",
		r.Counts.String(), r.Elapsed.Seconds(), &r.KeepAlive, &r.Fresh, r.Missed,
		r.Percentile(50).Round(10*time.Microsecond), r.Percentile(99).Round(10*time.Microsecond), r.Percentile(100).Round(10*time.Microsecond))
}

const maxFailures = 10000 // enough for a timeline; Counts has them all

// Run offers cfg.Rate requests per second until a bound is reached.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Rate <= 0 || cfg.Workers <= 0 || cfg.MaxRequests <= 0 || cfg.MaxDuration <= 0 || cfg.Timeout <= 0 {
		return nil, errors.New("load: Rate, Workers, MaxRequests, MaxDuration and Timeout must be positive")
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.MaxDuration)
	defer cancel()
	keepAlive := &http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Workers}}
	fresh := &http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	defer keepAlive.CloseIdleConnections()

	res := &Result{Counts: newCounts(), KeepAlive: newCounts(), Fresh: newCounts()}
	var mu sync.Mutex
	record := func(fresh bool, a answer, sent time.Time) {
		status, body, err := a.status, a.body, a.err
		d := time.Since(sent)
		mu.Lock()
		defer mu.Unlock()
		mode := &res.KeepAlive
		if fresh {
			mode = &res.Fresh
		}
		for _, c := range []*Counts{&res.Counts, mode} {
			c.Requests++
			if a.attempts > 1 {
				c.Retried++
			}
			if a.closed {
				c.Closed++
			}
			switch {
			case err != nil:
				c.Errors++
			case status == http.StatusOK:
				c.OK++
				c.Statuses[status]++
			default:
				c.Statuses[status]++
				c.Other[fmt.Sprintf("%d %s", status, body)]++
			}
		}
		if err != nil || status != http.StatusOK {
			if len(res.Failures) < maxFailures {
				f := Failure{At: sent, Fresh: fresh, Status: status, Body: body}
				if err != nil {
					f.Err = err.Error()
				}
				res.Failures = append(res.Failures, f)
			}
		}
		if err == nil {
			res.Latencies = append(res.Latencies, d)
		}
	}

	ticks := make(chan struct{})
	var wg sync.WaitGroup
	for i := range cfg.Workers {
		isFresh := i%2 == 1
		client := keepAlive
		if isFresh {
			client = fresh
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range ticks {
				start := time.Now()
				a := get(ctx, client, cfg.URL)
				if ctx.Err() != nil && a.err != nil {
					return // cut off by the end of the run: not the server's failure
				}
				record(isFresh, a, start)
			}
		}()
	}

	start := time.Now()
	interval := time.Second / time.Duration(cfg.Rate)
	ticker := time.NewTicker(interval)
	sent := 0
loop:
	for sent < cfg.MaxRequests {
		select {
		case <-ctx.Done():
			break loop
		case <-ticker.C:
			select {
			case ticks <- struct{}{}:
				sent++
			default:
				mu.Lock()
				res.Missed++
				mu.Unlock()
			}
		}
	}
	ticker.Stop()
	close(ticks)
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res, nil
}

// maxBody is how much of an answer is kept: enough for getsmall's JSON bodies.
const maxBody = 64

// answer is what one request got.
type answer struct {
	status   int
	body     string
	err      error
	attempts int  // connections the request was sent on: more than one is a retry
	closed   bool // the answer closed its connection
}

func get(ctx context.Context, client *http.Client, url string) answer {
	var a answer
	// The transport asks for a connection once per attempt, so GotConn counts them.
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { a.attempts++ }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, url, http.NoBody)
	if err != nil {
		a.err = err
		return a
	}
	resp, err := client.Do(req)
	if err != nil {
		a.err = err
		return a
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	if err != nil {
		a.err = err
		return a
	}
	a.status, a.body, a.closed = resp.StatusCode, string(b), resp.Close
	return a
}
