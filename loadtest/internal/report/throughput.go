package report

import (
	"slices"

	"github.com/getsmall/getsmall/loadtest/internal/stats"
)

// Tool names, as Throughput keys its runs.
const (
	Hey = "hey"
	Wrk = "wrk"
)

// Reference variants every per-round ratio is taken against.
const (
	Nginx    = "nginx"
	Getsmall = "getsmall"
)

// The peers' names: the baselines measured in every study.
const (
	NetHTTP  = "net/http"
	Fasthttp = "fasthttp"
	NBIO     = "nbio"
)

// Throughput is every load run against one server, per tool.
type Throughput struct {
	Hey *Tool `json:"hey,omitempty"`
	Wrk *Tool `json:"wrk,omitempty"` // nil when wrk is not installed
}

// Tool returns the runs of one tool, nil when it did not run.
func (t *Throughput) Tool(name string) *Tool {
	if t == nil {
		return nil
	}
	if name == Wrk {
		return t.Wrk
	}
	return t.Hey
}

// Tool is one load generator's runs against one server and what they add up to. Only clean
// runs count towards the median and the ratios; disturbed ones stay listed.
type Tool struct {
	Runs        []Load `json:"runs"` // every attempt of every round, in the order they ran
	Clean       int    `json:"clean"`
	Median      *Load  `json:"median,omitempty"` // the clean run with the median req/s
	ClientBound bool   `json:"client_bound"`     // in the median run the client used more CPU than the server
	// Per-round ratios of this server's req/s to nginx's and to plain getsmall's, from runs
	// of the same round: the comparison that holds on a machine whose speed drifts.
	VsNginx    *Ratio `json:"vs_nginx,omitempty"`
	VsGetsmall *Ratio `json:"vs_getsmall,omitempty"`
	// Requests per CPU second of the server: the median over clean runs, and the same
	// per-round ratios. A client-bound server still shows its cost per request here.
	PerCPU           float64 `json:"per_cpu"`
	PerCPUVsNginx    *Ratio  `json:"per_cpu_vs_nginx,omitempty"`
	PerCPUVsGetsmall *Ratio  `json:"per_cpu_vs_getsmall,omitempty"`
}

// Ratio is the median of per-round ratios, with every round's value.
type Ratio struct {
	Median float64      `json:"median"`
	Min    float64      `json:"min"`
	Max    float64      `json:"max"`
	Rounds []RoundValue `json:"rounds"` // rounds where both runs were clean
}

// RoundValue is one round's ratio.
type RoundValue struct {
	Round int     `json:"round"`
	Value float64 `json:"value"`
}

// Spread is the lowest and highest req/s of the clean runs.
func (t *Tool) Spread() (lo, hi float64) {
	first := true
	for _, r := range t.Runs {
		if r.Disturbed {
			continue
		}
		if first || r.RPS < lo {
			lo = r.RPS
		}
		hi = max(hi, r.RPS)
		first = false
	}
	return lo, hi
}

// Errors sums the failed requests and non-2xx answers of every run, disturbed ones included.
func (t *Tool) Errors() (errs, non2xx int) {
	for _, r := range t.Runs {
		errs += r.Errors
		non2xx += r.Non2xx
	}
	return errs, non2xx
}

// perRound is a metric of the first clean run of each round.
func (t *Tool) perRound(metric func(Load) float64) map[int]float64 { return perRound(t.Runs, metric) }

func perRound(runs []Load, metric func(Load) float64) map[int]float64 {
	m := map[int]float64{}
	for _, r := range runs {
		if _, ok := m[r.Round]; !ok && !r.Disturbed {
			m[r.Round] = metric(r)
		}
	}
	return m
}

func rps(l Load) float64 { return l.RPS }

// Analyze fills in every tool's clean count, median, client-bound flag and per-round
// ratios from its runs (whose Disturbed flags the study set as it measured).
func Analyze(r *Report) {
	byName := map[string]*Variant{}
	for i := range r.Variants {
		byName[r.Variants[i].Name] = &r.Variants[i]
	}
	ref := func(name, tool string, metric func(Load) float64) map[int]float64 {
		if v := byName[name]; v != nil && v.Throughput.Tool(tool) != nil {
			return v.Throughput.Tool(tool).perRound(metric)
		}
		return nil
	}
	for _, tool := range []string{Hey, Wrk} {
		nginx, plain := ref(Nginx, tool, rps), ref(Getsmall, tool, rps)
		nginxCPU, plainCPU := ref(Nginx, tool, Load.PerServerCPU), ref(Getsmall, tool, Load.PerServerCPU)
		for i := range r.Variants {
			t := r.Variants[i].Throughput.Tool(tool)
			if t == nil {
				continue
			}
			t.summarize()
			own, ownCPU := t.perRound(rps), t.perRound(Load.PerServerCPU)
			t.VsNginx, t.PerCPUVsNginx = ratio(own, nginx), ratio(ownCPU, nginxCPU)
			t.VsGetsmall, t.PerCPUVsGetsmall = ratio(own, plain), ratio(ownCPU, plainCPU)
			if r.Variants[i].Name == Nginx {
				t.VsNginx, t.PerCPUVsNginx = nil, nil // always 1
			}
			if r.Variants[i].Name == Getsmall {
				t.VsGetsmall, t.PerCPUVsGetsmall = nil, nil
			}
		}
	}
	analyzeOpenLoop(r, byName[Nginx])
}

// summarize sets Clean, Median and ClientBound.
func (t *Tool) summarize() {
	var clean []Load
	for _, r := range t.Runs {
		if !r.Disturbed {
			clean = append(clean, r)
		}
	}
	t.Clean = len(clean)
	t.Median, t.ClientBound, t.PerCPU = nil, false, 0
	if len(clean) == 0 {
		return
	}
	values := make([]float64, len(clean))
	perCPU := make([]float64, len(clean))
	for i, r := range clean {
		values[i], perCPU[i] = r.RPS, r.PerServerCPU()
	}
	t.PerCPU = stats.Median(perCPU)
	m := clean[stats.MedianIndex(values)]
	t.Median = &m
	t.ClientBound = m.ClientCPUSec > m.ServerCPUSec
}

// ratio divides own by ref round by round, where both have a clean run; nil when no round has.
func ratio(own, ref map[int]float64) *Ratio {
	rounds := make([]int, 0, len(own))
	for round := range own {
		if ref[round] > 0 {
			rounds = append(rounds, round)
		}
	}
	if len(rounds) == 0 {
		return nil
	}
	slices.Sort(rounds)
	q := &Ratio{}
	values := make([]float64, len(rounds))
	for i, round := range rounds {
		values[i] = own[round] / ref[round]
		q.Rounds = append(q.Rounds, RoundValue{Round: round, Value: values[i]})
	}
	s := stats.Summarize(values)
	q.Median, q.Min, q.Max = stats.Median(values), s.Min, s.Max
	return q
}
