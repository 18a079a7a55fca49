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
	Notes    []string  `json:"notes"` // what a reader must know to trust the numbers
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
	Runs            int      `json:"runs"`             // measured hey runs per server, after a warm-up
	WarmupRequests  int      `json:"warmup_requests"`  //
	ColdRuns        int      `json:"cold_runs"`        // cold starts per variant
	HealthcheckRuns int      `json:"healthcheck_runs"` // healthcheck execs per getsmall variant
	UPXLevels       []string `json:"upx_levels"`       //
	WrkDuration     string   `json:"wrk_duration"`     // empty when wrk is not installed
	Pinned          bool     `json:"pinned"`           //
	ServerCPU       string   `json:"server_cpu"`       // taskset list, when pinned
	ClientCPU       string   `json:"client_cpu"`       //
	Addr            string   `json:"addr"`             // always loopback
}

// Variant is one server binary (or nginx) and everything measured about it.
type Variant struct {
	Name        string        `json:"name"` // getsmall, getsmall-upx --lzma, net/http, nginx
	Kind        string        `json:"kind"` // plain, upx, baseline
	SizeBytes   int64         `json:"size_bytes"`
	PackSeconds float64       `json:"pack_seconds"`  // 0 unless UPX
	ColdStartMs stats.Summary `json:"cold_start_ms"` // exec to first 200 on /health
	RSSStart    RSS           `json:"rss_after_start"`
	RSSLoad     RSS           `json:"rss_after_load"`
	Healthcheck *Exec         `json:"healthcheck,omitempty"` // getsmall variants only
	Throughput  *Throughput   `json:"throughput,omitempty"`
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

// Throughput is the hey runs against one server, and the wrk cross-check runs.
type Throughput struct {
	Runs        []Load `json:"runs"`
	Median      Load   `json:"median"` // the run with the median req/s
	ClientBound bool   `json:"client_bound"`
	WrkRuns     []Load `json:"wrk_runs,omitempty"`
	Wrk         *Load  `json:"wrk,omitempty"` // the wrk run with the median req/s
}

// Spread is the lowest and highest req/s of runs: how far apart repeated runs landed.
func Spread(runs []Load) (lo, hi float64) {
	for i, r := range runs {
		if i == 0 || r.RPS < lo {
			lo = r.RPS
		}
		hi = max(hi, r.RPS)
	}
	return lo, hi
}

// Load is one load-generator run with the CPU both sides spent on it.
type Load struct {
	parse.Run
	ServerCPUSec float64 `json:"server_cpu_sec"`
	ClientCPUSec float64 `json:"client_cpu_sec"`
	WallSec      float64 `json:"wall_sec"`
}

// Write puts report.json, report.md and chart.svg into dir.
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
