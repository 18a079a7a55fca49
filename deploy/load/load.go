// Package load sends a steady, bounded stream of GET requests to one URL and records
// every answer: the rollout tests run it while pods come and go and then require that
// every request got a 200. Half the workers reuse keep-alive connections, as a proxy or
// a service mesh does; the other half open a new connection for every request, so every
// request is routed afresh and a pod that stops accepting too early shows up at once.
package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
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

// Result is what a run saw.
type Result struct {
	Requests  int             // answered or failed
	OK        int             // 200s
	Statuses  map[int]int     // every status code seen, with its count
	Errors    int             // requests that got no answer (refused, reset, timed out)
	Samples   []string        // the first few non-200s and errors, for the report
	Missed    int             // ticks no worker was free for (the offered rate was not met)
	Latencies []time.Duration // of every answered request
	Elapsed   time.Duration
}

// Non200 is the number of answers other than 200.
func (r *Result) Non200() int { return r.Requests - r.Errors - r.OK }

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
	return fmt.Sprintf("%d requests in %.1f s: %d x 200, %d other statuses %v, %d errors, %d ticks missed; p50 %v, p99 %v, max %v",
		r.Requests, r.Elapsed.Seconds(), r.OK, r.Non200(), r.Statuses, r.Errors, r.Missed,
		r.Percentile(50).Round(10*time.Microsecond), r.Percentile(99).Round(10*time.Microsecond), r.Percentile(100).Round(10*time.Microsecond))
}

const maxSamples = 20

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

	res := &Result{Statuses: map[int]int{}}
	var mu sync.Mutex
	record := func(status int, err error, d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		res.Requests++
		switch {
		case err != nil:
			res.Errors++
			if len(res.Samples) < maxSamples {
				res.Samples = append(res.Samples, fmt.Sprintf("%s: %v", time.Now().Format("15:04:05.000"), err))
			}
			return
		case status == http.StatusOK:
			res.OK++
		default:
			if len(res.Samples) < maxSamples {
				res.Samples = append(res.Samples, fmt.Sprintf("%s: status %d", time.Now().Format("15:04:05.000"), status))
			}
		}
		res.Statuses[status]++
		res.Latencies = append(res.Latencies, d)
	}

	ticks := make(chan struct{})
	var wg sync.WaitGroup
	for i := range cfg.Workers {
		client := keepAlive
		if i%2 == 1 {
			client = fresh
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range ticks {
				start := time.Now()
				status, err := get(ctx, client, cfg.URL)
				if ctx.Err() != nil && err != nil {
					return // cut off by the end of the run: not the server's failure
				}
				record(status, err, time.Since(start))
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

func get(ctx context.Context, client *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}
