package report

import (
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/loadtest/internal/parse"
	"github.com/getsmall/getsmall/loadtest/internal/stats"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixed is a small, hand-made report: three rounds; getsmall client-bound under hey and
// with one disturbed wrk run retried; a UPX variant without throughput; net/http with hey
// only; nginx; syscall counts for getsmall.
func fixed() *Report {
	load := func(round, attempt int, rps, server, client float64) Load {
		return Load{Run: parse.Run{Requests: 1000, RPS: rps, P50Ms: 1.2, P99Ms: 7.5}, Round: round, Attempt: attempt,
			ServerCPUSec: server, ClientCPUSec: client, WallSec: 1}
	}
	disturbed := load(2, 1, 43000, 0.41, 0.38)
	disturbed.Disturbed, disturbed.OtherCPUSec, disturbed.CrossCPUNs = true, 0.9, []float64{80, 85}
	far := load(3, 1, 60000, 0.98, 0.95)
	far.Disturbed, far.Far, far.CrossCPUNs = true, true, []float64{82, 340}
	r := &Report{
		Date: time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC),
		Machine: Machine{CPUModel: "Test CPU <x>", Cores: 2, Kernel: "6.1.0",
			Versions: map[string]string{"go": "go1.26.8", "upx": "4.2.2", "hey": "v0.1.5"}},
		Params: Params{Requests: 1000, Concurrency: 50, Rounds: 3, Retries: 2, MinClean: 2, DisturbedBelow: 0.9, FarFactor: 2, NearNs: 80,
			WarmupRequests: 100, ColdRuns: 20, HealthcheckRuns: 10, UPXLevels: []string{"--lzma"}, WrkDuration: "1s",
			StraceRequests: 20000, Pinned: true, ServerCPU: "0", ClientCPU: "1", Addr: "127.0.0.1:18080"},
		Rounds: []Round{
			{N: 1, Order: []string{"getsmall", "net/http", "nginx"}, LoadAvg: 0.5},
			{N: 2, Order: []string{"net/http", "nginx", "getsmall"}, LoadAvg: 1.25},
			{N: 3, Order: []string{"nginx", "getsmall", "net/http"}, LoadAvg: 0.75},
		},
		LoadAvgStart: []float64{0.4, 0.3, 0.2},
		LoadAvgEnd:   []float64{0.9, 0.5, 0.3},
		Variants: []Variant{
			{Name: "getsmall", Kind: "plain", SizeBytes: 6291582,
				ColdStartMs: stats.Summary{N: 20, Min: 4.5, P50: 5.6, P95: 7, Max: 9.25},
				RSSStart:    RSS{AnonKB: 1200, FileKB: 5300},
				RSSLoad:     RSS{AnonKB: 2100, FileKB: 5300},
				Healthcheck: &Exec{WallMs: stats.Summary{P50: 3.1}, CPUMs: stats.Summary{P50: 2}, MaxRSSKB: 9644},
				Throughput: &Throughput{
					Hey: &Tool{Runs: []Load{load(1, 1, 23000, 0.5, 1), load(2, 1, 24000, 0.5, 1), load(3, 1, 26000, 0.5, 1)}},
					Wrk: &Tool{Runs: []Load{load(1, 1, 69000, 1, 0.9), disturbed, load(2, 2, 71000, 1, 0.9), far, load(3, 2, 75000, 1, 0.9)}}},
				Syscalls: &Syscalls{Requests: 20000, Calls: []parse.Syscall{
					{Name: "write", Calls: 20000}, {Name: "read", Calls: 37200, Errors: 17200}, {Name: "epoll_pwait", Calls: 800}, {Name: "nanosleep", Calls: 2000}}}},
			{Name: "getsmall-upx --lzma", Kind: "upx", SizeBytes: 1994656, PackSeconds: 5.04,
				ColdStartMs: stats.Summary{N: 20, Min: 150, P50: 170, P95: 180, Max: 190},
				RSSStart:    RSS{AnonKB: 7300},
				Healthcheck: &Exec{WallMs: stats.Summary{P50: 160}, CPUMs: stats.Summary{P50: 158}}},
			{Name: "net/http", Kind: "baseline", SizeBytes: 5000000,
				ColdStartMs: stats.Summary{N: 20, Min: 3, P50: 4, P95: 5, Max: 6},
				Throughput:  &Throughput{Hey: &Tool{Runs: []Load{load(1, 1, 20000, 0.8, 0.6), load(2, 1, 21000, 0.8, 0.6), load(3, 1, 19000, 0.8, 0.6)}}}},
			{Name: "nginx", Kind: "baseline", SizeBytes: 1264552,
				ColdStartMs: stats.Summary{N: 20, Min: 4, P50: 4.4, P95: 11, Max: 11.2},
				Throughput: &Throughput{
					Hey: &Tool{Runs: []Load{load(1, 1, 23000, 0.5, 1), load(2, 1, 20000, 0.5, 1), load(3, 1, 26000, 0.5, 1)}},
					Wrk: &Tool{Runs: []Load{load(1, 1, 70000, 0.93, 1), load(2, 1, 72000, 0.93, 1), load(3, 1, 80000, 0.93, 1)}}}},
		},
		Notes: []string{"hey is the bottleneck"},
	}
	r.Params.OpenRounds, r.Params.OpenDuration, r.Params.OpenPercents = 2, "1s", []float64{25, 90}
	r.Params.RefRPS, r.Params.RefFrom = 80000, "nginx's median req/s of clean wrk runs"
	open := func(round int, p50, p99, p999, worst, late float64) Load {
		return Load{Run: parse.Run{Requests: 1000, TargetRPS: 20000, P50Ms: p50, P99Ms: p99, P999Ms: p999, MaxMs: worst, LateP99Ms: late}, Round: round, Attempt: 1, WallSec: 1}
	}
	shaken := open(2, 0.2, 9, 20, 40, 0.01)
	shaken.Disturbed, shaken.OtherCPUSec = true, 0.5
	r.Variants[0].OpenLoop = []RateRuns{
		{Percent: 25, RPS: 20000, Runs: []Load{open(1, 0.08, 0.3, 0.9, 2.1, 0.01), open(2, 0.09, 0.25, 1.2, 3.3, 0.01)}},
		{Percent: 90, RPS: 72000, Runs: []Load{open(1, 0.2, 1.6, 4, 7, 0.9), shaken, open(2, 0.3, 2.4, 6, 12.5, 0.02)}},
	}
	r.Variants[3].OpenLoop = []RateRuns{
		{Percent: 25, RPS: 20000, Runs: []Load{open(1, 0.07, 0.2, 0.5, 1, 0.01), open(2, 0.07, 0.25, 0.6, 1.5, 0.01)}},
		{Percent: 90, RPS: 72000, Runs: []Load{open(1, 0.1, 0.8, 2, 3, 0.01), open(2, 0.1, 1.2, 3, 4, 0.01)}},
	}
	r.Params.InitRuns = 3
	r.Variants[0].InitTrace = SummarizeInits([][]parse.Init{
		{{Package: "runtime", AtMs: 0.1, ClockMs: 0.1}, {Package: "brrr", AtMs: 2, ClockMs: 1.5}, {Package: "main", AtMs: 4, ClockMs: 0.01}},
		{{Package: "runtime", AtMs: 0.1, ClockMs: 0.1}, {Package: "brrr", AtMs: 2, ClockMs: 1.2}, {Package: "main", AtMs: 3.5, ClockMs: 0.01}},
		{{Package: "runtime", AtMs: 0.1, ClockMs: 0.3}, {Package: "brrr", AtMs: 2, ClockMs: 2.5}, {Package: "main", AtMs: 5, ClockMs: 0.01}},
	})
	Analyze(r)
	return r
}

func TestAnalyze(t *testing.T) {
	t.Parallel()
	r := fixed()
	wrk := r.Variants[0].Throughput.Wrk
	if wrk.Clean != 3 || len(wrk.Runs) != 5 || wrk.Median == nil || wrk.Median.RPS != 71000 || wrk.ClientBound {
		t.Errorf("getsmall wrk: clean %d, median %+v, client-bound %v; want 3, the 71,000 retry, false", wrk.Clean, wrk.Median, wrk.ClientBound)
	}
	// Per-round ratios use the clean retry of round 2, never the disturbed run.
	q := wrk.VsNginx
	if q == nil || len(q.Rounds) != 3 || !near(q.Rounds[1].Value, 71000.0/72000) || !near(q.Median, 69000.0/70000) ||
		!near(q.Min, 75000.0/80000) || !near(q.Max, 71000.0/72000) {
		t.Errorf("getsmall wrk vs nginx = %+v", q)
	}
	// Per core: 1,000 requests per 1 CPU s against nginx's 1,000 per 0.93 CPU s.
	if !near(wrk.PerCPU, 1000) || wrk.PerCPUVsNginx == nil || !near(wrk.PerCPUVsNginx.Median, 0.93) {
		t.Errorf("getsmall wrk per CPU = %v, vs nginx %+v; want 1000 and 0.93", wrk.PerCPU, wrk.PerCPUVsNginx)
	}
	if wrk.VsGetsmall != nil || r.Variants[3].Throughput.Wrk.VsNginx != nil {
		t.Error("a server's ratio to itself is set")
	}
	hey := r.Variants[2].Throughput.Hey
	if !hey.ClientBound == (hey.Median.ClientCPUSec > hey.Median.ServerCPUSec) || hey.VsGetsmall == nil || !near(hey.VsGetsmall.Median, 20000.0/23000) {
		t.Errorf("net/http hey: %+v vs getsmall %+v", hey, hey.VsGetsmall)
	}
	if !r.Variants[0].Throughput.Hey.ClientBound {
		t.Error("getsmall under hey (server 0.5, hey 1.0 CPU s) is not client-bound")
	}
	if r.Variants[2].Throughput.Wrk != nil {
		t.Error("net/http grew wrk runs")
	}
	// Two servers never clean in the same round have no ratio.
	r = fixed()
	for i := range r.Variants[3].Throughput.Wrk.Runs {
		r.Variants[3].Throughput.Wrk.Runs[i].Disturbed = true
	}
	Analyze(r)
	if r.Variants[0].Throughput.Wrk.VsNginx != nil || r.Variants[3].Throughput.Wrk.Median != nil {
		t.Error("a ratio or median from disturbed runs")
	}
}

func TestIsDisturbed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		server, client, other float64
		want                  bool
	}{
		{0.98, 0.9, 0, false}, // server-bound: the normal case for getsmall under wrk
		{0.5, 1.0, 0, false},  // client-bound: hey's ceiling
		{0.93, 0.99, 0.02, false},
		{0.41, 0.38, 0.6, true},  // both waited while someone else had the CPUs
		{0.85, 0.85, 0.07, true}, // both waited, and other work was there
		{0.98, 0.95, 0.2, true},  // saturated, but a fifth of a CPU went elsewhere
		{0.89, 0.61, 0, false},   // nbio under wrk with nothing else running: wake-up bound
		{0.64, 0.9, 0.03, false}, // nbio under hey, the same
		{0.91, 0.46, 0.11, true}, // nbio whose client lost time to other work
	} {
		l := Load{ServerCPUSec: tc.server * 5, ClientCPUSec: tc.client * 5, OtherCPUSec: tc.other * 5, WallSec: 5}
		if got := IsDisturbed(l, 0.9); got != tc.want {
			t.Errorf("server %.2f, client %.2f, other %.2f CPU s/s: disturbed %v, want %v", tc.server, tc.client, tc.other, got, tc.want)
		}
	}
	if IsDisturbed(Load{}, 0.9) != true {
		t.Error("a run without wall time is not disturbed")
	}
}

func TestIsFar(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		probes       []float64
		near, factor float64
		want         bool
	}{
		{[]float64{80, 90}, 70, 2, false},
		{[]float64{80, 340}, 70, 2, true}, // the host moved a CPU during the run
		{[]float64{150, 80}, 70, 2, true},
		{[]float64{340, 340}, 70, 0, false}, // off
		{nil, 70, 2, false},                 // not probed
		{[]float64{340}, 0, 2, false},       // no floor yet
	} {
		if got := IsFar(Load{CrossCPUNs: tc.probes}, tc.near, tc.factor); got != tc.want {
			t.Errorf("probes %v, near %v, factor %v: far %v, want %v", tc.probes, tc.near, tc.factor, got, tc.want)
		}
	}
}

func TestPerRequest(t *testing.T) {
	t.Parallel()
	p := fixed().Variants[0].Syscalls.PerRequest()
	want := PerRequest{Reads: 1.86, ReadErrors: 0.86, Writes: 1, Waits: 0.04, All: 3}
	if !near(p.Reads, want.Reads) || !near(p.ReadErrors, want.ReadErrors) || !near(p.Writes, want.Writes) || !near(p.Waits, want.Waits) || !near(p.All, want.All) {
		t.Errorf("PerRequest = %+v, want %+v", p, want)
	}
	if (&Syscalls{}).PerRequest() != (PerRequest{}) {
		t.Error("zero requests gave numbers")
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestMarkdownGolden(t *testing.T) {
	t.Parallel()
	got := fixed().Markdown()
	path := filepath.Join("testdata", "report.md")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("Markdown differs from %s (go test -update to accept):\n%s", path, got)
	}
}

func TestChart(t *testing.T) {
	t.Parallel()
	svg := fixed().Chart()

	// Well-formed XML, with one bar per variant in the cold-start and size panels and one
	// per measured server in the throughput panel.
	n := attrCounts(t, svg)
	bars, markers, hatched := n["class=bar"], n["class=marker"], n["fill=url(#hatch)"]
	if want := 4 + 4 + 3; bars != want {
		t.Errorf("%d bars, want %d", bars, want)
	}
	if markers != 2 || hatched != 1 {
		t.Errorf("%d hey markers and %d hatched bars, want 2 and 1", markers, hatched)
	}
	for _, s := range []string{"Test CPU &lt;x&gt;", "getsmall-upx --lzma", "170.0 ms", "1.99 MB",
		"71,000 req/s · 0.99× nginx · hey 24,000", "72,000 req/s · hey 23,000 (client-bound)"} {
		if !strings.Contains(svg, s) {
			t.Errorf("chart lacks %q", s)
		}
	}
}

func TestWriteAndRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := fixed()
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Read(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if back.Markdown() != r.Markdown() {
		t.Error("report.json does not round-trip")
	}
	for _, name := range []string{"report.md", "chart.svg", "latency.svg"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestThousands(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 6291582: "6,291,582", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestAnalyzeOpenLoop(t *testing.T) {
	t.Parallel()
	r := fixed()
	hi := r.Variants[0].OpenLoop[1]
	// Medians of the two clean runs, the disturbed one left out; the worst of their maxima.
	if hi.Clean != 2 || !near(hi.P50Ms, 0.25) || !near(hi.P99Ms, 2.0) || !near(hi.P999Ms, 5) || hi.MaxMs != 12.5 || hi.LateP99Ms != 0.9 {
		t.Errorf("getsmall at 90 %%: %+v", hi)
	}
	// p99 against nginx's in the same round: 1.6/0.8 and 2.4/1.2.
	if q := hi.P99VsNginx; q == nil || len(q.Rounds) != 2 || !near(q.Median, 2) {
		t.Errorf("p99 vs nginx = %+v, want 2 in both rounds", q)
	}
	if r.Variants[3].OpenLoop[0].P99VsNginx != nil {
		t.Error("nginx has a ratio to itself")
	}
	if !GeneratorBound(hi.Runs[0]) || GeneratorBound(hi.Runs[2]) {
		t.Error("a generator late by 0.9 ms against a p99 of 1.6 is not generator-bound, or one late by 0.02 is")
	}
	if !IsDisturbedOpen(hi.Runs[1], 0.9) || IsDisturbedOpen(hi.Runs[0], 0.9) {
		t.Error("0.5 CPU s/s of other work is not disturbing, or none is")
	}
	if ref, from := ReferenceRPS(r.Variants); ref != 72000 || !strings.HasPrefix(from, "nginx's") {
		t.Errorf("reference %v from %q, want nginx's wrk median 72,000", ref, from)
	}
	busy := fixed() // nothing clean: every run's median, said so
	for _, v := range busy.Variants {
		for _, tool := range []string{Wrk, Hey} {
			if t := v.Throughput.Tool(tool); t != nil {
				for i := range t.Runs {
					t.Runs[i].Disturbed = true
				}
			}
		}
	}
	if ref, from := ReferenceRPS(busy.Variants); ref != 72000 || !strings.Contains(from, "disturbed ones included") {
		t.Errorf("reference without a clean run %v from %q, want the median of nginx's wrk runs, 72,000, said so", ref, from)
	}
	r.Variants = r.Variants[:3] // no nginx: plain getsmall's wrk median
	if ref, from := ReferenceRPS(r.Variants); ref != 71000 || !strings.HasPrefix(from, "getsmall's") {
		t.Errorf("reference without nginx %v from %q, want getsmall's 71,000", ref, from)
	}
}

func TestSummarizeInits(t *testing.T) {
	t.Parallel()
	it := fixed().Variants[0].InitTrace
	// The median start of sums 1.61, 1.31 and 2.81 is the first; its main came at 4.01 ms.
	if it == nil || it.Runs != 3 || it.Packages != 3 || !near(it.SumMs, 1.61) || !near(it.MainAtMs, 4.01) || it.Top[0].Package != "brrr" || it.Top[0].ClockMs != 1.5 {
		t.Errorf("init trace = %+v", it)
	}
	if SummarizeInits(nil) != nil {
		t.Error("no runs gave a summary")
	}
}

func TestLatencyChart(t *testing.T) {
	t.Parallel()
	svg := fixed().LatencyChart()
	n := attrCounts(t, svg)
	worst, refs := n["class=worst"], n["class=ref"]
	// Two servers with clean runs at two rates; nginx's p99 marked at each rate.
	if worst != 4 || refs != 2 {
		t.Errorf("%d worst dots and %d nginx lines, want 4 and 2", worst, refs)
	}
	for _, s := range []string{"25 % of the reference: 20,000 req/s", "0.250 · 2.00 · 5.00 · 12.5", "1 ms", "100 ms"} {
		if !strings.Contains(svg, s) {
			t.Errorf("latency chart lacks %q", s)
		}
	}
	empty := &Report{}
	if !strings.Contains(empty.LatencyChart(), "no open-loop run") {
		t.Error("a report without open-loop runs draws bars")
	}
}

// attrCounts reads an SVG through, failing the test unless it is well-formed XML, and counts
// each attribute's values as "name=value".
func attrCounts(t *testing.T, svg string) map[string]int {
	t.Helper()
	n := map[string]int{}
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				n[a.Name.Local+"="+a.Value]++
			}
		}
	}
}
