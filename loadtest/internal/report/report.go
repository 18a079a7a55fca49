// Package report holds the load-test study's results and writes them three ways: report.json
// (everything, for comparing runs), report.md (the tables a reader needs) and chart.svg
// (cold start, size and throughput per variant, drawn here: no web service or library).
package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/getsmall/getsmall/loadtest/internal/parse"
	"github.com/getsmall/getsmall/loadtest/internal/stats"
)

// Report is one complete run of the study.
type Report struct {
	Date     time.Time `json:"date"`
	Machine  Machine   `json:"machine"`
	Params   Params    `json:"params"`
	Variants []Variant `json:"variants"`
	Rounds   []Round   `json:"rounds"`
	// The machine's load averages (1, 5, 15 minutes) as the study started and ended: a
	// quiet machine reads well under its core count.
	LoadAvgStart []float64 `json:"load_avg_start"`
	LoadAvgEnd   []float64 `json:"load_avg_end"`
	Notes        []string  `json:"notes"` // what a reader must know to trust the numbers
}

// Machine identifies where and with what the numbers were measured.
type Machine struct {
	CPUModel string            `json:"cpu_model"`
	Cores    int               `json:"cores"`
	Kernel   string            `json:"kernel"`
	Versions map[string]string `json:"versions"` // go, fasthttp, upx, hey, wrk, nginx
}

// Params are every knob of the run, so it can be repeated.
type Params struct {
	Requests        int      `json:"requests"`         // per hey run (0 when Duration is set)
	Duration        string   `json:"duration"`         // per hey run, instead of Requests
	Concurrency     int      `json:"concurrency"`      // hey -c and wrk -c
	Rounds          int      `json:"rounds"`           // every server runs once per round, order rotated
	Retries         int      `json:"retries"`          // extra attempts in a round when a run was disturbed
	MinClean        int      `json:"min_clean"`        // clean runs per server and tool that check requires
	DisturbedBelow  float64  `json:"disturbed_below"`  // CPU s per s under which both sides count as disturbed
	FarFactor       float64  `json:"far_factor"`       // a cross-CPU probe this many times NearNs marks a run far; 0: off
	NearNs          float64  `json:"near_ns"`          // the lower quartile of the study's cross-CPU round trips: the typical near one
	WarmupRequests  int      `json:"warmup_requests"`  // hey requests to a fresh server before its runs
	ColdRuns        int      `json:"cold_runs"`        // cold starts per variant
	HealthcheckRuns int      `json:"healthcheck_runs"` // healthcheck execs per getsmall variant
	UPXLevels       []string `json:"upx_levels"`       //
	Extra           []string `json:"extra,omitempty"`  // names of the extra getsmall builds (-variant)
	WrkDuration     string   `json:"wrk_duration"`     // empty when wrk is not installed
	StraceRequests  int      `json:"strace_requests"`  // requests of the syscall pass; 0 when it was off
	Pinned          bool     `json:"pinned"`           //
	ServerCPU       string   `json:"server_cpu"`       // taskset list, when pinned
	ClientCPU       string   `json:"client_cpu"`       //
	Addr            string   `json:"addr"`             // always loopback
	// The open-loop phase: rates as percentages of RefRPS (RefFrom says whose maximum),
	// OpenRounds passes over every server, OpenDuration per rate; 0 rounds when it was off.
	OpenRounds   int       `json:"open_rounds"`
	OpenDuration string    `json:"open_duration,omitempty"`
	OpenPercents []float64 `json:"open_percents,omitempty"`
	RefRPS       float64   `json:"ref_rps,omitempty"`
	RefFrom      string    `json:"ref_from,omitempty"`
	InitRuns     int       `json:"init_runs"` // GODEBUG=inittrace=1 starts per Go server
}

// Variant is one server binary (or nginx) and everything measured about it.
type Variant struct {
	Name        string        `json:"name"` // getsmall, getsmall-upx --lzma, net/http, nginx, or an extra build
	Kind        string        `json:"kind"` // plain, upx, build (an extra getsmall build), baseline
	SizeBytes   int64         `json:"size_bytes"`
	PackSeconds float64       `json:"pack_seconds"`  // 0 unless UPX
	ColdStartMs stats.Summary `json:"cold_start_ms"` // exec to first 200 on /health
	RSSStart    RSS           `json:"rss_after_start"`
	RSSLoad     RSS           `json:"rss_after_load"`        // after the last round's runs
	Healthcheck *Exec         `json:"healthcheck,omitempty"` // getsmall variants only
	Throughput  *Throughput   `json:"throughput,omitempty"`
	OpenLoop    []RateRuns    `json:"open_loop,omitempty"`  // one per rate, lowest first
	InitTrace   *InitTrace    `json:"init_trace,omitempty"` // Go servers: GODEBUG=inittrace=1
	Syscalls    *Syscalls     `json:"syscalls,omitempty"`   // the strace pass, when it ran
}

// RSS is resident memory from /proc/<pid>/status, in KiB.
type RSS struct {
	AnonKB  int `json:"anon_kb"`
	FileKB  int `json:"file_kb"`
	ShmemKB int `json:"shmem_kb"`
}

// Total is all resident memory.
func (r RSS) Total() int { return r.AnonKB + r.FileKB + r.ShmemKB }

// Exec is the cost of running `getsmall healthcheck` once against a live server.
type Exec struct {
	WallMs   stats.Summary `json:"wall_ms"`
	CPUMs    stats.Summary `json:"cpu_ms"` // user + system
	MaxRSSKB int           `json:"max_rss_kb"`
}

// Round is one pass over every server, in the order it ran.
type Round struct {
	N       int      `json:"n"`        // 1-based
	Order   []string `json:"order"`    // variant names
	LoadAvg float64  `json:"load_avg"` // the machine's 1-minute load average as the round started
}

// Load is one load-generator run against one server process, with the CPU both sides
// spent on it.
type Load struct {
	parse.Run
	Round        int     `json:"round"`   // 1-based
	Attempt      int     `json:"attempt"` // 1, or more when an earlier run in the round was disturbed
	ServerCPUSec float64 `json:"server_cpu_sec"`
	ClientCPUSec float64 `json:"client_cpu_sec"`
	WallSec      float64 `json:"wall_sec"`
	// OtherCPUSec is the busy time of the measured CPUs (every CPU when not pinned) that
	// neither the server nor the client was charged with: other processes, interrupts,
	// the hypervisor's steal. Evidence for a disturbed verdict, not part of it.
	OtherCPUSec float64 `json:"other_cpu_sec"`
	// CrossCPUNs is a cache-line round trip between the server's and the client's CPU just
	// before and just after the run: where the host placed the two virtual CPUs.
	CrossCPUNs []float64 `json:"cross_cpu_ns,omitempty"`
	// Far is set when a probe took more than Params.FarFactor times Params.NearNs: the
	// CPUs were in different cache domains for at least part of the run.
	Far       bool `json:"far"`
	Disturbed bool `json:"disturbed"` // by the CPU rule (IsDisturbed) or Far
}

// ServerLoad is the server's CPU seconds per second of the run: 1 means it had its CPU
// to itself and used all of it.
func (l Load) ServerLoad() float64 { return perSecond(l.ServerCPUSec, l.WallSec) }

// PerServerCPU is requests served per CPU second of the server: throughput per core, which
// holds even when the client, not the server, was the limit.
func (l Load) PerServerCPU() float64 {
	if l.ServerCPUSec <= 0 {
		return 0
	}
	return float64(l.Requests) / l.ServerCPUSec
}

// ClientLoad is the load generator's CPU seconds per second of the run.
func (l Load) ClientLoad() float64 { return perSecond(l.ClientCPUSec, l.WallSec) }

func perSecond(cpu, wall float64) float64 {
	if wall <= 0 {
		return 0
	}
	return cpu / wall
}

// IsFar reports whether either cross-CPU probe of a run took more than factor times near,
// the study's typical near round trip.
func IsFar(l Load, near, factor float64) bool {
	if factor <= 0 || near <= 0 {
		return false
	}
	for _, ns := range l.CrossCPUNs {
		if ns > factor*near {
			return true
		}
	}
	return false
}

// IsDisturbed reports whether a run was slowed by something else on the machine, by the
// evidence of the two measured CPUs. Other work that took more than 1-below CPU seconds per
// second of them condemns any run, as in the open loop. Less of it condemns a run only when
// neither side was saturated: a server pinned to its own CPU that used under below CPU
// seconds per second, with a client that did not either, was waiting, and the other work
// says for what. Idle CPUs alone are no evidence: an event-loop server (nbio) and its
// client wait on each other's wake-ups at 0.6 to 0.9 CPU s/s each with nothing else
// running, and those runs were as fast as its clean ones (2026-12-05).
func IsDisturbed(l Load, below float64) bool {
	if l.WallSec <= 0 {
		return true
	}
	if IsDisturbedOpen(l, below) {
		return true
	}
	other := perSecond(l.OtherCPUSec, l.WallSec)
	return l.ServerLoad() < below && l.ClientLoad() < below && other > (1-below)/2
}

// Syscalls is the strace pass: system calls the server made while serving Requests.
type Syscalls struct {
	Requests int             `json:"requests"`
	Calls    []parse.Syscall `json:"calls"` // every row strace -c printed
}

// Write puts report.json, report.md, chart.svg and, when the open-loop phase ran,
// latency.svg into dir.
func (r *Report) Write(dir string) error {
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"report.json": append(js, '\n'),
		"report.md":   []byte(r.Markdown()),
		"chart.svg":   []byte(r.Chart()),
	}
	if r.Params.OpenRounds > 0 {
		files["latency.svg"] = []byte(r.LatencyChart())
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil { //nolint:gosec // results are meant to be read
			return err
		}
	}
	return nil
}

// Read loads a report.json.
func Read(path string) (*Report, error) {
	b, err := os.ReadFile(path) //nolint:gosec // the path is the caller's results directory
	if err != nil {
		return nil, err
	}
	var r Report
	return &r, json.Unmarshal(b, &r)
}
