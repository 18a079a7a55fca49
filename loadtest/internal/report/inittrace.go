package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/getsmall/getsmall/loadtest/internal/parse"
	"github.com/getsmall/getsmall/loadtest/internal/stats"
)

// InitTrace is where a Go server's start-up goes before main: GODEBUG=inittrace=1 over a few
// starts, summarised by the start whose initialisers took the median time.
type InitTrace struct {
	Runs     int          `json:"runs"`
	Packages int          `json:"packages"` // packages with an initialiser
	SumMs    float64      `json:"sum_ms"`   // their clock time added up, median over the runs
	MainAtMs float64      `json:"main_at_ms"`
	Top      []parse.Init `json:"top"` // the costliest initialisers of that start
}

// topInits is how many initialisers the report lists.
const topInits = 5

// SummarizeInits picks the median start out of every start's initialisers.
func SummarizeInits(runs [][]parse.Init) *InitTrace {
	if len(runs) == 0 {
		return nil
	}
	sums := make([]float64, len(runs))
	for i, inits := range runs {
		for _, in := range inits {
			sums[i] += in.ClockMs
		}
	}
	m := runs[stats.MedianIndex(sums)]
	last := m[len(m)-1]
	t := &InitTrace{Runs: len(runs), Packages: len(m), SumMs: sums[stats.MedianIndex(sums)], MainAtMs: last.AtMs + last.ClockMs}
	top := slices.Clone(m)
	slices.SortStableFunc(top, func(a, b parse.Init) int {
		switch {
		case a.ClockMs > b.ClockMs:
			return -1
		case a.ClockMs < b.ClockMs:
			return 1
		}
		return 0
	})
	t.Top = top[:min(topInits, len(top))]
	return t
}

// initTraceTable shows, for each Go server, the time its package initialisers took.
func (r *Report) initTraceTable(b *strings.Builder) {
	header := false
	for _, v := range r.Variants {
		t := v.InitTrace
		if t == nil {
			continue
		}
		if !header {
			fmt.Fprintf(b, "\n## Start-up before main (GODEBUG=inittrace=1)\n\nThe start, of %d, whose package initialisers took the median time: their clock time added up, when the last one ended (the runtime's own start included), and the costliest.\n\n", t.Runs)
			b.WriteString("| server | packages with an init | init clock, sum ms | main reached at ms | costliest initialisers, ms |\n|---|---:|---:|---:|---|\n")
			header = true
		}
		top := make([]string, len(t.Top))
		for i, in := range t.Top {
			top[i] = fmt.Sprintf("%s %.2f", in.Package, in.ClockMs)
		}
		fmt.Fprintf(b, "| %s | %d | %.2f | %.2f | %s |\n", v.Name, t.Packages, t.SumMs, t.MainAtMs, strings.Join(top, ", "))
	}
}
