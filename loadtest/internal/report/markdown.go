package report

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Markdown renders the report as the tables the README's Results section shows.
func (r *Report) Markdown() string {
	var b strings.Builder
	p := r.Params
	fmt.Fprintf(&b, "# getsmall load test, %s\n\n", r.Date.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- Machine: %s, %d cores, Linux %s\n", r.Machine.CPUModel, r.Machine.Cores, r.Machine.Kernel)
	fmt.Fprintf(&b, "- Versions: %s\n", versions(r.Machine.Versions))
	load := fmt.Sprintf("%d requests", p.Requests)
	if p.Duration != "" {
		load = p.Duration
	}
	fmt.Fprintf(&b, "- Load: hey, %s per run at concurrency %d, %d runs after a %d-request warm-up", load, p.Concurrency, p.Runs, p.WarmupRequests)
	if p.WrkDuration != "" {
		fmt.Fprintf(&b, "; wrk cross-check, %s at the same concurrency", p.WrkDuration)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "- Cold start: %d runs per variant; healthcheck: %d execs per getsmall variant; UPX levels: %s\n",
		p.ColdRuns, p.HealthcheckRuns, orNone(strings.Join(p.UPXLevels, " ")))
	if p.Pinned {
		fmt.Fprintf(&b, "- Pinned with taskset: server on CPU %s, clients on CPU %s\n", p.ServerCPU, p.ClientCPU)
	} else {
		b.WriteString("- Not pinned: server and clients share the CPUs\n")
	}
	fmt.Fprintf(&b, "- Target: %s (loopback only)\n", p.Addr)

	b.WriteString("\n## Size, start-up and memory\n\n")
	b.WriteString("| variant | bytes | pack s | cold start ms: min / p50 / p95 / max | RSS KiB, anon + file: after start, after load | healthcheck exec: p50 ms wall (CPU), peak RSS KiB |\n")
	b.WriteString("|---|---:|---:|---|---|---|\n")
	for _, v := range r.Variants {
		c := v.ColdStartMs
		fmt.Fprintf(&b, "| %s | %s | %s | %.1f / %.1f / %.1f / %.1f | %s, %s | %s |\n",
			v.Name, thousands(v.SizeBytes), pack(v.PackSeconds), c.Min, c.P50, c.P95, c.Max,
			rssText(v.RSSStart), rssText(v.RSSLoad), healthcheck(v.Healthcheck))
	}

	b.WriteString("\n## Throughput\n\n")
	b.WriteString("| server | hey req/s: median (min–max) | p50 ms | p99 ms | errors | non-2xx | CPU s: server / hey | limited by | wrk req/s: median (min–max), p99 ms |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---|---|---|\n")
	for _, v := range r.Variants {
		t := v.Throughput
		if t == nil {
			continue
		}
		m := t.Median
		limit := "server"
		if t.ClientBound {
			limit = "**client (hey)**"
		}
		wrk := "n/a"
		if t.Wrk != nil {
			lo, hi := Spread(t.WrkRuns)
			wrk = fmt.Sprintf("%s (%s–%s), %.2f", thousands(int64(t.Wrk.RPS)), thousands(int64(lo)), thousands(int64(hi)), t.Wrk.P99Ms)
		}
		errs, non2xx := 0, 0
		for _, run := range slices.Concat(t.Runs, t.WrkRuns) {
			errs += run.Errors
			non2xx += run.Non2xx
		}
		lo, hi := Spread(t.Runs)
		fmt.Fprintf(&b, "| %s | %s (%s–%s) | %.1f | %.1f | %d | %d | %.2f / %.2f | %s | %s |\n",
			v.Name, thousands(int64(m.RPS)), thousands(int64(lo)), thousands(int64(hi)), m.P50Ms, m.P99Ms, errs, non2xx, m.ServerCPUSec, m.ClientCPUSec, limit, wrk)
	}

	if len(r.Notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	b.WriteString("\n![cold start, size and throughput per variant](chart.svg)\n")
	return b.String()
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
