package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Markdown renders the report as the tables docs/loadtest.md's Results show.
func (r *Report) Markdown() string {
	var b strings.Builder
	r.header(&b)

	b.WriteString("\n## Size, start-up and memory\n\n")
	b.WriteString("| variant | bytes | pack s | cold start ms: min / p50 / p95 / max | RSS KiB, anon + file: after start, after load | healthcheck exec: p50 ms wall (CPU), peak RSS KiB |\n")
	b.WriteString("|---|---:|---:|---|---|---|\n")
	for _, v := range r.Variants {
		c := v.ColdStartMs
		fmt.Fprintf(&b, "| %s | %s | %s | %.1f / %.1f / %.1f / %.1f | %s, %s | %s |\n",
			v.Name, thousands(v.SizeBytes), pack(v.PackSeconds), c.Min, c.P50, c.P95, c.Max,
			rssText(v.RSSStart), rssText(v.RSSLoad), healthcheck(v.Healthcheck))
	}

	b.WriteString("\n## Throughput\n")
	for _, tool := range []string{Wrk, Hey} {
		r.toolTable(&b, tool)
	}
	r.perCPUTable(&b)
	r.roundsTables(&b)
	r.disturbed(&b)
	r.openLoopTables(&b)
	r.initTraceTable(&b)
	r.syscallsTable(&b)

	if len(r.Notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	b.WriteString("\n![cold start, size and throughput per variant](chart.svg)\n")
	return b.String()
}

func (r *Report) header(b *strings.Builder) {
	p := r.Params
	fmt.Fprintf(b, "# getsmall load test, %s\n\n", r.Date.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(b, "- Machine: %s, %d cores, Linux %s; load average %s at the start, %s at the end\n",
		r.Machine.CPUModel, r.Machine.Cores, r.Machine.Kernel, loadAvg(r.LoadAvgStart), loadAvg(r.LoadAvgEnd))
	fmt.Fprintf(b, "- Versions: %s\n", versions(r.Machine.Versions))
	hey := fmt.Sprintf("%d requests", p.Requests)
	if p.Duration != "" {
		hey = p.Duration
	}
	fmt.Fprintf(b, "- Throughput: %d rounds; in each, every server runs once, in a rotated order, in a fresh process: a %d-request hey warm-up, then hey (%s", p.Rounds, p.WarmupRequests, hey)
	if p.WrkDuration != "" {
		fmt.Fprintf(b, ") and wrk (%s", p.WrkDuration)
	}
	fmt.Fprintf(b, ") at concurrency %d\n", p.Concurrency)
	fmt.Fprintf(b, "- Disturbed: a run where other work took over %.2f CPU s per s of the two CPUs, or over %.2f while the server used under %.2f CPU s per s and the client did too",
		1-p.DisturbedBelow, (1-p.DisturbedBelow)/2, p.DisturbedBelow)
	if p.FarFactor > 0 && p.NearNs > 0 {
		fmt.Fprintf(b, ", or where a cache-line round trip between the two CPUs, probed before and after it, took over %.1f× the study's typical near one (%.0f ns, the lower quartile of every probe): the host had put them in different cache domains", p.FarFactor, p.NearNs)
	}
	fmt.Fprintf(b, "; it is retried up to %d times in its round, listed, and left out of medians and ratios (check wants %d clean runs per server and tool)\n",
		p.Retries, p.MinClean)
	fmt.Fprintf(b, "- Cold start: %d runs per variant; healthcheck: %d execs per getsmall variant; UPX levels: %s\n",
		p.ColdRuns, p.HealthcheckRuns, orNone(strings.Join(p.UPXLevels, " ")))
	if p.Pinned {
		fmt.Fprintf(b, "- Pinned: server on CPU %s, clients on CPU %s\n", p.ServerCPU, p.ClientCPU)
	} else {
		b.WriteString("- Not pinned: server and clients share the CPUs\n")
	}
	fmt.Fprintf(b, "- Target: %s (loopback only)\n", p.Addr)
}

// toolTable is one load generator's summary: medians of clean runs and per-round ratios.
func (r *Report) toolTable(b *strings.Builder, tool string) {
	rows := 0
	for _, v := range r.Variants {
		if v.Throughput.Tool(tool) != nil {
			rows++
		}
	}
	if rows == 0 {
		return
	}
	title := map[string]string{Wrk: "wrk (C, one thread): the comparison of servers", Hey: "hey (Go): the cross-check"}[tool]
	fmt.Fprintf(b, "\n### %s\n\n", title)
	fmt.Fprintf(b, "| server | req/s: median (min–max) of clean runs | × nginx: per-round median (min–max) | × getsmall | p50 ms | p99 ms | CPU s/s: server / %s | limited by | clean runs | errors | non-2xx |\n", tool)
	b.WriteString("|---|---|---|---|---:|---:|---|---|---:|---:|---:|\n")
	for _, v := range r.Variants {
		t := v.Throughput.Tool(tool)
		if t == nil {
			continue
		}
		errs, non2xx := t.Errors()
		clean := fmt.Sprintf("%d of %d", t.Clean, len(t.Runs))
		m := t.Median
		if m == nil {
			fmt.Fprintf(b, "| %s | no clean run | - | - | - | - | - | - | %s | %d | %d |\n", v.Name, clean, errs, non2xx)
			continue
		}
		lo, hi := t.Spread()
		limit := "server"
		if t.ClientBound {
			limit = "**client (" + tool + ")**"
		}
		fmt.Fprintf(b, "| %s | %s (%s–%s) | %s | %s | %.2f | %.2f | %.2f / %.2f | %s | %s | %d | %d |\n",
			v.Name, thousands(int64(m.RPS)), thousands(int64(lo)), thousands(int64(hi)),
			ratioText(t.VsNginx), ratioText(t.VsGetsmall), m.P50Ms, m.P99Ms, m.ServerLoad(), m.ClientLoad(), limit, clean, errs, non2xx)
	}
}

// perCPUTable shows what each server's requests cost: requests per CPU second of the server
// under wrk (hey when wrk did not run), where a client-bound server shows its capacity too.
func (r *Report) perCPUTable(b *strings.Builder) {
	tool := Wrk
	if r.Params.WrkDuration == "" {
		tool = Hey
	}
	header := false
	for _, v := range r.Variants {
		t := v.Throughput.Tool(tool)
		if t == nil || t.Median == nil {
			continue
		}
		if !header {
			fmt.Fprintf(b, "\n### Per core: requests per CPU second of the server (%s)\n\n", tool)
			b.WriteString("| server | requests per server CPU s: median of clean runs | × nginx: per-round median (min–max) | × getsmall |\n|---|---:|---|---|\n")
			header = true
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", v.Name, thousands(int64(t.PerCPU)), ratioText(t.PerCPUVsNginx), ratioText(t.PerCPUVsGetsmall))
	}
}

// roundsTables shows every run, round by round, disturbed ones struck through.
func (r *Report) roundsTables(b *strings.Builder) {
	if len(r.Rounds) == 0 {
		return
	}
	var names []string
	for _, v := range r.Variants {
		if v.Throughput != nil {
			names = append(names, v.Name)
		}
	}
	byName := map[string]*Throughput{}
	for _, v := range r.Variants {
		byName[v.Name] = v.Throughput
	}
	for _, tool := range []string{Wrk, Hey} {
		ran := false
		for _, t := range byName {
			ran = ran || t.Tool(tool) != nil
		}
		if !ran {
			continue
		}
		fmt.Fprintf(b, "\n### Rounds, %s req/s (~~struck~~: disturbed, retried)\n\n", tool)
		fmt.Fprintf(b, "| round | load avg | order | %s |\n", strings.Join(names, " | "))
		fmt.Fprintf(b, "|---:|---:|---|%s\n", strings.Repeat("---:|", len(names)))
		for _, round := range r.Rounds {
			cells := make([]string, len(names))
			for i, name := range names {
				var parts []string
				if t := byName[name].Tool(tool); t != nil {
					for _, l := range t.Runs {
						if l.Round != round.N {
							continue
						}
						s := thousands(int64(l.RPS))
						if l.Disturbed {
							s = "~~" + s + "~~"
						}
						parts = append(parts, s)
					}
				}
				cells[i] = orDash(strings.Join(parts, " "))
			}
			fmt.Fprintf(b, "| %d | %.2f | %s | %s |\n", round.N, round.LoadAvg, strings.Join(round.Order, " → "), strings.Join(cells, " | "))
		}
	}
}

// disturbed lists the disturbed runs with the CPU figures that condemned them.
func (r *Report) disturbed(b *strings.Builder) {
	var lines []string
	for _, v := range r.Variants {
		for _, tool := range []string{Wrk, Hey} {
			t := v.Throughput.Tool(tool)
			if t == nil {
				continue
			}
			for _, l := range t.Runs {
				if !l.Disturbed {
					continue
				}
				why := "CPU"
				if l.Far {
					why = "far"
					if IsDisturbed(l, r.Params.DisturbedBelow) {
						why = "CPU, far"
					}
				}
				lines = append(lines, fmt.Sprintf("- round %d, %s, %s attempt %d (%s): %s req/s; CPU s/s server %.2f, %s %.2f; other work on the measured CPUs %.2f CPU s/s; cross-CPU round trip %s ns",
					l.Round, v.Name, tool, l.Attempt, why, thousands(int64(l.RPS)), l.ServerLoad(), tool, l.ClientLoad(), perSecond(l.OtherCPUSec, l.WallSec), probes(l.CrossCPUNs)))
			}
		}
	}
	if len(r.Rounds) == 0 {
		return
	}
	b.WriteString("\n### Disturbed runs\n\n")
	if len(lines) == 0 {
		b.WriteString("None.\n")
		return
	}
	b.WriteString(strings.Join(lines, "\n") + "\n")
}

// syscallsTable shows the strace pass per request.
func (r *Report) syscallsTable(b *strings.Builder) {
	header := false
	for _, v := range r.Variants {
		s := v.Syscalls
		if s == nil || s.Requests == 0 {
			continue
		}
		if !header {
			fmt.Fprintf(b, "\n## System calls per request\n\n`strace -c -f` attached to the warmed-up server for %s hey requests at concurrency %d (strace slows the server; the counts, not the times, are the point). Reads include recv*, writes include writev and send*; EAGAIN is a read that found nothing and made the goroutine wait.\n\n",
				thousands(int64(s.Requests)), r.Params.Concurrency)
			b.WriteString("| server | reads | of which EAGAIN | writes | epoll waits | every syscall |\n|---|---:|---:|---:|---:|---:|\n")
			header = true
		}
		p := s.PerRequest()
		fmt.Fprintf(b, "| %s | %.2f | %.2f | %.2f | %.3f | %.2f |\n", v.Name, p.Reads, p.ReadErrors, p.Writes, p.Waits, p.All)
	}
}

// PerRequest are the strace counts divided by the requests served.
type PerRequest struct {
	Reads, ReadErrors, Writes, Waits, All float64
}

// PerRequest groups the system calls by what they do and divides by the requests.
func (s *Syscalls) PerRequest() PerRequest {
	var p PerRequest
	if s.Requests == 0 {
		return p
	}
	n := float64(s.Requests)
	for _, c := range s.Calls {
		switch c.Name {
		case "read", "readv", "recvfrom", "recvmsg":
			p.Reads += float64(c.Calls) / n
			p.ReadErrors += float64(c.Errors) / n
		case "write", "writev", "sendto", "sendmsg", "sendfile":
			p.Writes += float64(c.Calls) / n
		case "epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll", "select", "pselect6":
			p.Waits += float64(c.Calls) / n
		}
		p.All += float64(c.Calls) / n
	}
	return p
}

func probes(ns []float64) string {
	if len(ns) == 0 {
		return "not probed"
	}
	parts := make([]string, len(ns))
	for i, v := range ns {
		parts[i] = strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strings.Join(parts, " / ")
}

func ratioText(q *Ratio) string {
	if q == nil {
		return "-"
	}
	if len(q.Rounds) == 1 {
		return fmt.Sprintf("%.2f (1 round)", q.Median)
	}
	return fmt.Sprintf("%.2f (%.2f–%.2f)", q.Median, q.Min, q.Max)
}

func loadAvg(l []float64) string {
	if len(l) < 3 {
		return "unknown"
	}
	return fmt.Sprintf("%.2f / %.2f / %.2f", l[0], l[1], l[2])
}

func versions(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+" "+m[k])
	}
	return orNone(strings.Join(parts, ", "))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func pack(s float64) string {
	if s == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", s)
}

func healthcheck(e *Exec) string {
	if e == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1f (%.1f), %s", e.WallMs.P50, e.CPUMs.P50, thousands(int64(e.MaxRSSKB)))
}

func rssText(r RSS) string {
	if r.Total() == 0 {
		return "-"
	}
	return thousands(int64(r.AnonKB)) + " + " + thousands(int64(r.FileKB))
}

// thousands writes n with thousands separators: 6,291,582.
func thousands(n int64) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
