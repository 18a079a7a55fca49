package study

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/getsmall/getsmall/loadtest/internal/parse"
	"github.com/getsmall/getsmall/loadtest/internal/report"
	"github.com/getsmall/getsmall/loadtest/internal/stats"
)

// throughput runs hey against the server with pid: a warm-up, then the measured runs, then
// the wrk cross-check when wrk is installed. Each run records the CPU both sides used.
func (s *Study) throughput(name string, pid int) (*report.Throughput, error) {
	c := &s.cfg
	url := "http://" + c.addr() + "/health"
	if c.Warmup > 0 {
		if _, err := s.load(pid, s.heyArgs(url, c.Warmup, 0), parse.Hey, time.Minute); err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
	}
	t := &report.Throughput{}
	rps := make([]float64, 0, c.Runs)
	for i := range c.Runs {
		l, err := s.load(pid, s.heyArgs(url, c.Requests, c.Duration), parse.Hey, s.runLimit())
		if err != nil {
			return nil, fmt.Errorf("hey run %d: %w", i+1, err)
		}
		s.logf("%s: hey run %d/%d: %.0f req/s, server %.2f CPU s, hey %.2f CPU s", name, i+1, c.Runs, l.RPS, l.ServerCPUSec, l.ClientCPUSec)
		t.Runs = append(t.Runs, l)
		rps = append(rps, l.RPS)
	}
	t.Median = t.Runs[stats.MedianIndex(rps)]
	t.ClientBound = t.Median.ClientCPUSec > t.Median.ServerCPUSec

	if c.Wrk == "" {
		return t, nil
	}
	d := c.WrkDuration
	args := []string{c.Wrk, "-t1", "-c" + strconv.Itoa(c.Concurrency), "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency", url}
	rps = rps[:0]
	for i := range c.Runs {
		l, err := s.load(pid, args, parse.Wrk, d+time.Minute)
		if err != nil {
			return nil, fmt.Errorf("wrk run %d: %w", i+1, err)
		}
		s.logf("%s: wrk run %d/%d: %.0f req/s, server %.2f CPU s, wrk %.2f CPU s", name, i+1, c.Runs, l.RPS, l.ServerCPUSec, l.ClientCPUSec)
		t.WrkRuns = append(t.WrkRuns, l)
		rps = append(rps, l.RPS)
	}
	t.Wrk = &t.WrkRuns[stats.MedianIndex(rps)]
	return t, nil
}

// heyArgs is one hey invocation: a request count, or a duration when d > 0. A request that
// takes 5 s is an error, not a latency.
func (s *Study) heyArgs(url string, n int, d time.Duration) []string {
	args := []string{s.cfg.Hey, "-c", strconv.Itoa(s.cfg.Concurrency), "-t", "5"}
	if d > 0 {
		args = append(args, "-z", d.String())
	} else {
		args = append(args, "-n", strconv.Itoa(n))
	}
	return append(args, url)
}

// runLimit bounds one measured run: its duration, or its requests at a pessimistic
// 1,000 req/s, plus a minute.
func (s *Study) runLimit() time.Duration {
	if s.cfg.Duration > 0 {
		return s.cfg.Duration + time.Minute
	}
	return time.Duration(s.cfg.Requests/1000)*time.Second + time.Minute
}

// load runs one load generator (argv, parsed by parse) against the server with pid, and
// measures the CPU time of both.
func (s *Study) load(pid int, argv []string, parseOut func(string) (parse.Run, error), limit time.Duration) (report.Load, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	before, err := cpuSeconds(pid)
	if err != nil {
		return report.Load{}, err
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...) //nolint:gosec // the study's own tools
	started := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(started)
	if ctx.Err() != nil {
		return report.Load{}, fmt.Errorf("%s did not finish within %v", argv[0], limit)
	}
	if err != nil {
		return report.Load{}, fmt.Errorf("%s: %w: %s", argv[0], err, lastLine(string(out)))
	}
	after, err := cpuSeconds(pid)
	if err != nil {
		return report.Load{}, err
	}
	run, err := parseOut(string(out))
	if err != nil {
		return report.Load{}, err
	}
	return report.Load{Run: run, ServerCPUSec: after - before, ClientCPUSec: childCPU(cmd.ProcessState), WallSec: wall.Seconds()}, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
