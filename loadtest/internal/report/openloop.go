package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/getsmall/getsmall/loadtest/internal/stats"
)

// RateRuns is every open-loop run against one server at one fixed rate, and their summary:
// each percentile is the median over the clean runs (one per round), the worst is the
// worst of them, and the p99 is compared with nginx's at the same rate in the same round.
type RateRuns struct {
	Percent    float64 `json:"percent"` // of Params.RefRPS
	RPS        float64 `json:"rps"`     // the rate asked for
	Runs       []Load  `json:"runs"`
	Clean      int     `json:"clean"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	P999Ms     float64 `json:"p999_ms"`
	MaxMs      float64 `json:"max_ms"`
	LateP99Ms  float64 `json:"late_p99_ms"` // the generator's worst p99 lateness over the clean runs
	P99VsNginx *Ratio  `json:"p99_vs_nginx,omitempty"`
}

// IsDisturbedOpen reports whether an open-loop run shared its CPUs: other work took more
// than 1 − below CPU seconds per second of them. The CPU rule of the throughput runs does
// not apply here, since at a fixed rate below the maximum neither side is meant to be busy.
func IsDisturbedOpen(l Load, below float64) bool {
	return perSecond(l.OtherCPUSec, l.WallSec) > 1-below
}

// GeneratorBound reports whether the generator's own lateness was half the run's p99 or
// more: that tail then says as much about the client as about the server.
func GeneratorBound(l Load) bool { return l.LateP99Ms > 0 && l.LateP99Ms >= l.P99Ms/2 }

// ReferenceRPS is the maximum the open-loop rates are fractions of: nginx's median req/s
// of clean wrk runs (plain getsmall's when nginx was not measured, hey's without wrk), and
// where it came from. On a machine too busy for a clean run it takes the median of every
// run and says so, rather than losing the study: check fails such a report anyway.
func ReferenceRPS(vs []Variant) (float64, string) {
	var fallback []float64
	fallbackFrom := ""
	for _, name := range []string{Nginx, Getsmall} {
		for _, v := range vs {
			if v.Name != name || v.Throughput == nil {
				continue
			}
			for _, tool := range []string{Wrk, Hey} {
				t := v.Throughput.Tool(tool)
				if t == nil {
					continue
				}
				c := *t
				c.summarize()
				if c.Median != nil {
					return c.Median.RPS, fmt.Sprintf("%s's median req/s of clean %s runs", name, tool)
				}
				if fallback == nil && len(t.Runs) > 0 {
					for _, l := range t.Runs {
						fallback = append(fallback, l.RPS)
					}
					fallbackFrom = fmt.Sprintf("%s's median req/s of every %s run, disturbed ones included (none was clean)", name, tool)
				}
			}
		}
	}
	if fallback == nil {
		return 0, ""
	}
	return stats.Median(fallback), fallbackFrom
}

// analyzeOpenLoop summarises every server's runs at each rate; nginx, when measured, is the
// reference of the p99 ratios.
func analyzeOpenLoop(r *Report, nginx *Variant) {
	for i := range r.Variants {
		v := &r.Variants[i]
		for j := range v.OpenLoop {
			rr := &v.OpenLoop[j]
			rr.summarize()
			rr.P99VsNginx = nil
			if nginx != nil && v.Name != Nginx && j < len(nginx.OpenLoop) {
				p99 := func(l Load) float64 { return l.P99Ms }
				rr.P99VsNginx = ratio(perRound(rr.Runs, p99), perRound(nginx.OpenLoop[j].Runs, p99))
			}
		}
	}
}

func (rr *RateRuns) summarize() {
	var p50, p99, p999 []float64
	rr.Clean, rr.MaxMs, rr.LateP99Ms = 0, 0, 0
	for _, l := range rr.Runs {
		if l.Disturbed {
			continue
		}
		rr.Clean++
		p50, p99, p999 = append(p50, l.P50Ms), append(p99, l.P99Ms), append(p999, l.P999Ms)
		rr.MaxMs, rr.LateP99Ms = max(rr.MaxMs, l.MaxMs), max(rr.LateP99Ms, l.LateP99Ms)
	}
	rr.P50Ms, rr.P99Ms, rr.P999Ms = stats.Median(p50), stats.Median(p99), stats.Median(p999)
}

// openLoopTables shows the tail at each rate, then p99 against nginx's.
func (r *Report) openLoopTables(b *strings.Builder) {
	var vs []Variant
	for _, v := range r.Variants {
		if len(v.OpenLoop) > 0 {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return
	}
	p := r.Params
	rates := vs[0].OpenLoop
	fmt.Fprintf(b, "\n## Tail latency at fixed rates (open loop)\n\nRequests go out on a schedule whether or not earlier answers came, on %d keep-alive connections (an idle one when there is one, else pipelined), and each latency counts from when its request was due: a server's stall shows in every request due during it. Rates are %s of %s, %s req/s; %d round(s), %s per rate, each server in a fresh process after a warm-up, rates from the lowest. Medians over clean runs; max is the worst. ([latency.svg](latency.svg))\n\n",
		p.Concurrency, percents(p.OpenPercents), p.RefFrom, thousands(int64(p.RefRPS)), p.OpenRounds, p.OpenDuration)
	b.WriteString("| server |")
	for _, rr := range rates {
		fmt.Fprintf(b, " %s%% = %s req/s: p50 / p99 / p99.9 / max ms |", trim(rr.Percent), thousands(int64(rr.RPS)))
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(rates)) + "\n")
	for _, v := range vs {
		fmt.Fprintf(b, "| %s |", v.Name)
		for _, rr := range v.OpenLoop {
			if rr.Clean == 0 {
				b.WriteString(" no clean run |")
				continue
			}
			fmt.Fprintf(b, " %s / %s / %s / %s |", msText(rr.P50Ms), msText(rr.P99Ms), msText(rr.P999Ms), msText(rr.MaxMs))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n| server |")
	for _, rr := range rates {
		fmt.Fprintf(b, " p99 × nginx at %s%% |", trim(rr.Percent))
	}
	b.WriteString(" clean runs | errors | non-2xx | generator late, worst p99 ms |\n|---|" + strings.Repeat("---|", len(rates)) + "---:|---:|---:|---:|\n")
	for _, v := range vs {
		fmt.Fprintf(b, "| %s |", v.Name)
		clean, runs, errs, non2xx, late := 0, 0, 0, 0, 0.0
		for _, rr := range v.OpenLoop {
			fmt.Fprintf(b, " %s |", ratioText(rr.P99VsNginx))
			clean, runs = clean+rr.Clean, runs+len(rr.Runs)
			for _, l := range rr.Runs {
				errs, non2xx = errs+l.Errors, non2xx+l.Non2xx
			}
			late = max(late, rr.LateP99Ms)
		}
		fmt.Fprintf(b, " %d of %d | %d | %d | %s |\n", clean, runs, errs, non2xx, msText(late))
	}
	var bound []string
	for _, v := range vs {
		for _, rr := range v.OpenLoop {
			for _, l := range rr.Runs {
				if !l.Disturbed && GeneratorBound(l) {
					bound = append(bound, fmt.Sprintf("%s at %s%% (round %d)", v.Name, trim(rr.Percent), l.Round))
				}
			}
		}
	}
	if len(bound) > 0 {
		fmt.Fprintf(b, "\nThe generator ran late by half the p99 or more in: %s. Its lateness is inside those latencies, so they are an upper bound on the server's.\n", strings.Join(slices.Compact(bound), ", "))
	}
}

func percents(ps []float64) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = trim(p) + " %"
	}
	return strings.Join(parts, ", ")
}

// trim prints a percentage without a needless decimal: 25, 37.5.
func trim(f float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", f), ".0") }

// msText prints a latency with two significant decimals below 1 ms and fewer above.
func msText(ms float64) string {
	switch {
	case ms < 1:
		return fmt.Sprintf("%.3f", ms)
	case ms < 10:
		return fmt.Sprintf("%.2f", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f", ms)
	}
	return fmt.Sprintf("%.0f", ms)
}
