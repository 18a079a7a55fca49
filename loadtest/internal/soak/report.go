package soak

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Write saves the result as report.json, report.md and chart.svg in a new directory under
// dir named after the start time, and points dir/latest at it. It returns the directory.
func (r *Result) Write(dir string) (string, error) {
	out := filepath.Join(dir, r.Started.UTC().Format("20060102T150405Z"))
	if err := os.MkdirAll(out, 0o750); err != nil {
		return "", err
	}
	j, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	for name, content := range map[string][]byte{
		"report.json": j,
		"report.md":   []byte(r.Markdown()),
		"chart.svg":   []byte(Chart(r.Samples, r.Settle)),
	} {
		if err := os.WriteFile(filepath.Join(out, name), content, 0o600); err != nil {
			return "", err
		}
	}
	latest := filepath.Join(dir, "latest")
	_ = os.Remove(latest)
	return out, os.Symlink(filepath.Base(out), latest)
}

// Markdown is the human-readable report.
func (r *Result) Markdown() string {
	var b strings.Builder
	cfg := r.Config
	fmt.Fprintf(&b, "# Soak, %s\n\n", r.Started.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "%d answers in %.0f s (%.0f/s) from %d keep-alive, %d churning, %d slow and %d malformed clients; then %v idle.\n\n",
		r.Answers, r.Took.Seconds(), float64(r.Answers)/r.Took.Seconds(), cfg.Mix.KeepAlive, cfg.Mix.Churn, cfg.Mix.Slow, cfg.Mix.Malformed, cfg.Settle)
	b.WriteString("| check | result |\n|---|---|\n")
	names := make([]string, 0, len(r.Checks))
	for n := range r.Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		res := "**fail**"
		if r.Checks[n] {
			res = "pass"
		}
		fmt.Fprintf(&b, "| %s | %s |\n", n, res)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "\n- %s", p)
	}
	b.WriteString("\n\n| status | answers |\n|---|---:|\n")
	codes := make([]int, 0, len(r.Status))
	for c := range r.Status {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		fmt.Fprintf(&b, "| %d | %d |\n", c, r.Status[c])
	}
	fmt.Fprintf(&b, "| not HTTP/1.1 | %d |\n| no answer (connection ended) | %d |\n\n", r.NotHTTP, r.Failed)
	b.WriteString("| | RSS anon KiB | RSS file KiB | fds | threads | goroutines |\n|---|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| idle, before | %d | %d | %d | %d | %d (idle twin) |\n", r.Idle.Anon>>10, r.Idle.File>>10, r.Idle.FDs, r.Idle.Threads, total(r.Routines["twin"]))
	var peak Sample
	for _, s := range r.Samples {
		if s.Anon > peak.Anon {
			peak = s
		}
	}
	fmt.Fprintf(&b, "| peak, under load | %d | %d | %d | %d | |\n", peak.Anon>>10, peak.File>>10, peak.FDs, peak.Threads)
	fmt.Fprintf(&b, "| idle, after | %d | %d | %d | %d | %d |\n\n", r.After.Anon>>10, r.After.File>>10, r.After.FDs, r.After.Threads, total(r.Routines["soaked"]))
	b.WriteString("![resident memory, file descriptors and threads over time](chart.svg)\n\n")
	b.WriteString("Samples (s: anon KiB, fds):")
	for i, s := range append(append([]Sample(nil), r.Samples...), r.Settle...) {
		if i%10 == 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, " %.0f: %d, %d;", s.At.Seconds(), s.Anon>>10, s.FDs)
	}
	b.WriteString("\n")
	return b.String()
}

// Chart draws resident anonymous memory (left axis) and open file descriptors (right
// axis) over time, the traffic's samples solid and the idle ones after it dashed.
func Chart(load, idle []Sample) string {
	const w, h, left, right, top, bottom = 720, 320, 60, 60, 30, 40
	all := append(append([]Sample(nil), load...), idle...)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", w, h)
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	if len(all) < 2 {
		b.WriteString(`<text x="20" y="40">too few samples</text></svg>` + "\n")
		return b.String()
	}
	t0, t1 := all[0].At.Seconds(), all[len(all)-1].At.Seconds()
	var maxMem, maxFD float64
	for _, s := range all {
		maxMem, maxFD = max(maxMem, float64(s.Anon)/(1<<20)), max(maxFD, float64(s.FDs))
	}
	maxMem, maxFD = niceCeil(maxMem), niceCeil(maxFD)
	x := func(s Sample) float64 { return left + (s.At.Seconds()-t0)/(t1-t0)*(w-left-right) }
	yMem := func(s Sample) float64 { return h - bottom - float64(s.Anon)/(1<<20)/maxMem*(h-top-bottom) }
	yFD := func(s Sample) float64 { return h - bottom - float64(s.FDs)/maxFD*(h-top-bottom) }
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="13">soak: RSS anon MiB (blue, left), open fds (orange, right); dashed: idle after</text>`+"\n", left)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", left, h-bottom, w-right, h-bottom)
	for i := range 5 {
		y := float64(h-bottom) - float64(i)/4*(h-top-bottom)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", left, y, w-right, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="#1f77b4">%.1f</text>`+"\n", left-4, y+4, maxMem*float64(i)/4)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" fill="#ff7f0e">%.0f</text>`+"\n", w-right+4, y+4, maxFD*float64(i)/4)
	}
	for i := range 6 {
		xx := left + float64(i)/5*(w-left-right)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%.0f s</text>`+"\n", xx, h-bottom+16, t0+float64(i)/5*(t1-t0))
	}
	line := func(s []Sample, y func(Sample) float64, color, dash string) {
		if len(s) == 0 {
			return
		}
		pts := make([]string, len(s))
		for i, p := range s {
			pts[i] = fmt.Sprintf("%.1f,%.1f", x(p), y(p))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" stroke-dasharray="%s" points="%s"/>`+"\n", color, dash, strings.Join(pts, " "))
	}
	idleFrom := idle
	if len(load) > 0 {
		idleFrom = append([]Sample{load[len(load)-1]}, idle...)
	}
	line(load, yMem, "#1f77b4", "")
	line(idleFrom, yMem, "#1f77b4", "4 3")
	line(load, yFD, "#ff7f0e", "")
	line(idleFrom, yFD, "#ff7f0e", "4 3")
	b.WriteString("</svg>\n")
	return b.String()
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := 1.0
	for p*10 <= v {
		p *= 10
	}
	for p > v {
		p /= 10
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
