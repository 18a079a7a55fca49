package study

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/getsmall/getsmall/loadtest/internal/parse"
	"github.com/getsmall/getsmall/loadtest/internal/report"
)

// openLoop measures tail latency at fixed rates, fractions of the reference maximum that
// the throughput rounds just measured: OpenRounds passes over every server, the order
// rotated each round as in the throughput rounds, each server in a fresh process.
func (s *Study) openLoop(vs []variant, r *report.Report) error {
	c := &s.cfg
	plain := make([]report.Variant, len(vs))
	for i := range vs {
		plain[i] = vs[i].Variant
	}
	ref, from := report.ReferenceRPS(plain)
	if ref <= 0 {
		return errors.New("open loop: no clean throughput run to take the maximum from")
	}
	r.Params.RefRPS, r.Params.RefFrom = ref, from
	for i := range vs {
		vs[i].OpenLoop = make([]report.RateRuns, len(c.OpenPercents))
		for j, p := range c.OpenPercents {
			vs[i].OpenLoop[j] = report.RateRuns{Percent: p, RPS: ref * p / 100}
		}
	}
	for n := 1; n <= c.OpenRounds; n++ {
		order := rotate(len(vs), n-1)
		names := make([]string, len(order))
		for k, i := range order {
			names[k] = vs[i].Name
		}
		s.logf("open loop, round %d of %d: %s", n, c.OpenRounds, strings.Join(names, ", "))
		for _, i := range order {
			if err := s.openTurn(&vs[i], n); err != nil {
				return fmt.Errorf("%s, open loop round %d: %w", vs[i].Name, n, err)
			}
		}
	}
	return nil
}

// openTurn is one server's turn in an open-loop round: a fresh process, the warm-up, then
// every rate from the lowest, a disturbed run tried again up to Retries times.
func (s *Study) openTurn(v *variant, n int) error {
	c := &s.cfg
	s.waitQuiet()
	p, _, err := s.coldStart(v.argv, v.env)
	if err != nil {
		return err
	}
	pid := p.cmd.Process.Pid
	return s.attempt(p, func() error {
		if err := s.warmUp(pid); err != nil {
			return err
		}
		for j := range v.OpenLoop {
			rr := &v.OpenLoop[j]
			for attempt := 1; attempt <= 1+c.Retries; attempt++ {
				if attempt > 1 {
					s.waitQuiet()
				}
				l, err := s.load(pid, s.openArgs(rr.RPS), parse.OpenLoop, c.OpenDuration+time.Minute)
				if err != nil {
					return fmt.Errorf("openloop at %.0f req/s: %w", rr.RPS, err)
				}
				l.Round, l.Attempt = n, attempt
				s.judgeOpen(&l)
				verdict := ""
				if l.Disturbed {
					verdict = " DISTURBED"
				}
				s.logf("%s: round %d, %.0f req/s: p50 %.3f, p99 %.3f, p99.9 %.3f, max %.3f ms; generator late p99 %.3f ms; other CPU s/s %.2f%s",
					v.Name, n, rr.RPS, l.P50Ms, l.P99Ms, l.P999Ms, l.MaxMs, l.LateP99Ms, l.OtherCPUSec/max(l.WallSec, 1e-9), verdict)
				rr.Runs = append(rr.Runs, l)
				if !l.Disturbed {
					break
				}
			}
		}
		return nil
	})
}

// openArgs is one run of the fixed-rate generator on the study's connections.
func (s *Study) openArgs(rate float64) []string {
	c := &s.cfg
	return []string{c.OpenLoop, "-addr", c.addr(), "-rate", strconv.FormatFloat(rate, 'f', 0, 64),
		"-duration", c.OpenDuration.String(), "-c", strconv.Itoa(c.Concurrency), "-timeout", "5s"}
}

// judgeOpen marks an open-loop run disturbed when other work shared its CPUs or they were
// far apart.
func (s *Study) judgeOpen(l *report.Load) {
	l.Far = report.IsFar(*l, s.nearNs(), s.cfg.FarFactor)
	l.Disturbed = report.IsDisturbedOpen(*l, s.cfg.DisturbedBelow) || l.Far
}
