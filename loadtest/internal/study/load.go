package study

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getsmall/getsmall/loadtest/internal/parse"
	"github.com/getsmall/getsmall/loadtest/internal/report"
)

// rounds measures throughput: Rounds passes over every server, the order rotated by one
// each round, each server in a fresh process. Runs of one round are close in time, so their
// ratios hold even when the machine's speed drifts between rounds.
func (s *Study) rounds(vs []variant) ([]report.Round, error) {
	c := &s.cfg
	var rounds []report.Round
	for n := 1; n <= c.Rounds; n++ {
		order := rotate(len(vs), n-1)
		round := report.Round{N: n, LoadAvg: first(loadAvg())}
		for _, i := range order {
			round.Order = append(round.Order, vs[i].Name)
		}
		rounds = append(rounds, round)
		s.logf("round %d of %d: %s", n, c.Rounds, strings.Join(round.Order, ", "))
		for _, i := range order {
			if err := s.round(&vs[i], n); err != nil {
				return nil, fmt.Errorf("%s, round %d: %w", vs[i].Name, n, err)
			}
		}
	}
	return rounds, nil
}

// rotate is 0..n-1 shifted left by k: each round starts with the next server.
func rotate(n, k int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = (i + k) % n
	}
	return order
}

func first(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return xs[0]
}

// round is one server's turn in a round: a fresh process, a warm-up, a hey run and a wrk
// run. A disturbed run is tried again, up to Retries times, in a new process after waiting
// for a quiet moment; every attempt is kept.
func (s *Study) round(v *variant, n int) error {
	c := &s.cfg
	if v.Throughput == nil {
		v.Throughput = &report.Throughput{Hey: &report.Tool{}}
		if c.Wrk != "" {
			v.Throughput.Wrk = &report.Tool{}
		}
	}
	needHey, needWrk := true, c.Wrk != ""
	for attempt := 1; attempt <= 1+c.Retries && (needHey || needWrk); attempt++ {
		s.waitQuiet()
		p, _, err := s.coldStart(v.argv, v.env)
		if err != nil {
			return err
		}
		pid := p.cmd.Process.Pid
		run := func(tool string, argv []string, parseOut func(string) (parse.Run, error), limit time.Duration) (bool, error) {
			l, err := s.load(pid, argv, parseOut, limit)
			if err != nil {
				return false, fmt.Errorf("%s: %w", tool, err)
			}
			l.Round, l.Attempt = n, attempt
			s.judge(&l)
			verdict := ""
			if l.Disturbed {
				verdict = " DISTURBED"
			}
			if l.Far {
				verdict += " (CPUs far apart)"
			}
			s.logf("%s: round %d, %s: %.0f req/s, CPU s/s server %.2f, %s %.2f, other %.2f, cross-CPU ns %.0f%s",
				v.Name, n, tool, l.RPS, l.ServerLoad(), tool, l.ClientLoad(), l.OtherCPUSec/max(l.WallSec, 1e-9), l.CrossCPUNs, verdict)
			t := v.Throughput.Tool(tool)
			t.Runs = append(t.Runs, l)
			return !l.Disturbed, nil
		}
		err = s.attempt(p, func() error {
			if err := s.warmUp(pid); err != nil {
				return err
			}
			if needHey {
				clean, err := run(report.Hey, s.heyArgs(c.Requests, c.Duration), parse.Hey, s.runLimit())
				if err != nil {
					return err
				}
				needHey = !clean
			}
			if needWrk {
				clean, err := run(report.Wrk, s.wrkArgs(), parse.Wrk, c.WrkDuration+time.Minute)
				if err != nil {
					return err
				}
				needWrk = !clean
			}
			v.RSSLoad, err = rss(pid)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// warmUp sends a fresh server the study's hey warm-up, so no measured run pays for its
// first connections, page faults and heap growth.
func (s *Study) warmUp(pid int) error {
	if s.cfg.Warmup == 0 {
		return nil
	}
	if _, err := s.load(pid, s.heyArgs(s.cfg.Warmup, 0), parse.Hey, time.Minute); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	return nil
}

// attempt runs f against the started server p and stops p whatever happens.
func (s *Study) attempt(p *proc, f func() error) error {
	err := f()
	if stopErr := p.stop(); err == nil {
		err = stopErr
	}
	return err
}

func (s *Study) url() string { return "http://" + s.cfg.addr() + "/health" }

// heyArgs is one hey invocation: a request count, or a duration when d > 0. A request that
// takes 5 s is an error, not a latency.
func (s *Study) heyArgs(n int, d time.Duration) []string {
	args := []string{s.cfg.Hey, "-c", strconv.Itoa(s.cfg.Concurrency), "-t", "5"}
	if d > 0 {
		args = append(args, "-z", d.String())
	} else {
		args = append(args, "-n", strconv.Itoa(n))
	}
	return append(args, s.url())
}

// wrkArgs is one wrk run: one thread (it has one CPU), the study's concurrency.
func (s *Study) wrkArgs() []string {
	c := &s.cfg
	return []string{c.Wrk, "-t1", "-c" + strconv.Itoa(c.Concurrency), "-d" + strconv.Itoa(int(c.WrkDuration.Seconds())) + "s", "--latency", s.url()}
}

// runLimit bounds one measured hey run: its duration, or its requests at a pessimistic
// 1,000 req/s, plus a minute.
func (s *Study) runLimit() time.Duration {
	if s.cfg.Duration > 0 {
		return s.cfg.Duration + time.Minute
	}
	return time.Duration(s.cfg.Requests/1000)*time.Second + time.Minute
}

// load runs one load generator (argv, parsed by parse) against the server with pid, and
// measures the CPU time of both and of everything else on the measured CPUs.
func (s *Study) load(pid int, argv []string, parseOut func(string) (parse.Run, error), limit time.Duration) (report.Load, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	before, err := cpuSeconds(pid)
	if err != nil {
		return report.Load{}, err
	}
	self0, err := cpuSeconds(os.Getpid())
	if err != nil {
		return report.Load{}, err
	}
	cpus0, err := readCPUTimes(s.measuredCPUs())
	if err != nil {
		return report.Load{}, err
	}
	probes := s.probe(nil)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...) //nolint:gosec // the study's own tools
	started := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(started)
	probes = s.probe(probes)
	if ctx.Err() != nil {
		return report.Load{}, fmt.Errorf("%s did not finish within %v", argv[0], limit)
	}
	if err != nil {
		return report.Load{}, fmt.Errorf("%s: %w: %s", argv[0], err, lastLine(string(out)))
	}
	cpus1, err := readCPUTimes(s.measuredCPUs())
	if err != nil {
		return report.Load{}, err
	}
	self1, err := cpuSeconds(os.Getpid())
	if err != nil {
		return report.Load{}, err
	}
	after, err := cpuSeconds(pid)
	if err != nil {
		return report.Load{}, err
	}
	run, err := parseOut(string(out))
	if err != nil {
		return report.Load{}, err
	}
	l := report.Load{Run: run, ServerCPUSec: after - before, ClientCPUSec: childCPU(cmd.ProcessState), WallSec: wall.Seconds(), CrossCPUNs: probes}
	l.OtherCPUSec = max(0, (cpus1.busy-cpus0.busy)-l.ServerCPUSec-l.ClientCPUSec-(self1-self0))
	return l, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// probe appends a cross-CPU round trip between the server's and the client's CPU to ns,
// when the study pins and the probe works, and keeps it among the study's probes.
func (s *Study) probe(ns []float64) []float64 {
	if !s.cfg.Pin {
		return ns
	}
	v, err := crossCPU(s.cfg.ServerCPU, s.cfg.ClientCPU)
	if err != nil {
		return ns
	}
	s.probes = append(s.probes, v)
	return append(ns, v)
}

// nearNs is the study's reference for far probes so far: NearReference of every probe.
func (s *Study) nearNs() float64 { return NearReference(s.probes) }

// NearReference is the round trip that far probes are measured against: the lower quartile
// of every probe. Not the fastest: near round trips here spread over more than 2x (57 to
// 135 ns in one study, where far ones took 330 to 450 ns), so one lucky probe made every
// ordinary run look far. The quartile stays near as long as a quarter of the probes are.
func NearReference(probes []float64) float64 {
	if len(probes) == 0 {
		return 0
	}
	sorted := slices.Clone(probes)
	slices.Sort(sorted)
	return sorted[(len(sorted)-1)/4]
}

// judge marks a run disturbed by the CPU rule or because its CPUs were far apart.
func (s *Study) judge(l *report.Load) {
	l.Far = report.IsFar(*l, s.nearNs(), s.cfg.FarFactor)
	l.Disturbed = report.IsDisturbed(*l, s.cfg.DisturbedBelow) || l.Far
}
