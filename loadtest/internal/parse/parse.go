// Package parse reads the text reports of the load generators the study runs, hey and wrk,
// into numbers. Neither tool has a stable machine-readable summary, so the formats are
// pinned by the fixtures in testdata, taken from real runs.
package parse

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Run is one load-generator run as the report needs it.
type Run struct {
	Requests    int     `json:"requests"`     // responses received
	RPS         float64 `json:"rps"`          // as the tool computed it
	P50Ms       float64 `json:"p50_ms"`       // latency percentiles in milliseconds
	P99Ms       float64 `json:"p99_ms"`       //
	Errors      int     `json:"errors"`       // requests that got no response
	Non2xx      int     `json:"non_2xx"`      // responses with another status
	ErrorDetail string  `json:"error_detail"` // the tool's first error line, if any
	// The open-loop generator's runs only: the rate asked for, the tail, and how late the
	// generator itself sent against its schedule (which every latency includes).
	TargetRPS float64 `json:"target_rps,omitempty"`
	P999Ms    float64 `json:"p999_ms,omitempty"`
	MaxMs     float64 `json:"max_ms,omitempty"`
	LateP99Ms float64 `json:"late_p99_ms,omitempty"`
	LateMaxMs float64 `json:"late_max_ms,omitempty"`
}

// OpenLoop reads the JSON line the study's own open-loop generator (cmd/openloop) prints:
// a Run with the target rate and the tail filled in.
func OpenLoop(out string) (Run, error) {
	var r Run
	line := strings.TrimSpace(out)
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:] // the generator prints one line; anything before it is a warning
	}
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		return r, fmt.Errorf("openloop: %w in %q", err, line)
	}
	if r.TargetRPS <= 0 || (r.Requests == 0 && r.Errors == 0) {
		return r, fmt.Errorf("openloop: no target rate or no requests in %q", line)
	}
	return r, nil
}

var (
	heyRPS     = regexp.MustCompile(`(?m)^\s*Requests/sec:\s+([0-9.]+|NaN)\s*$`)
	heyLatency = regexp.MustCompile(`(?m)^\s*(\d+)%%? in ([0-9.]+) secs\s*$`)
	heyStatus  = regexp.MustCompile(`(?m)^\s*\[(\d{3})\]\s+(\d+) responses\s*$`)
	heyError   = regexp.MustCompile(`(?m)^\s*\[(\d+)\]\s+(.+)$`)
)

// Hey parses the summary `hey` prints (v0.1.x). Its latency percentiles have a resolution
// of 0.1 ms; its Requests/sec counts failed requests too, so callers must look at Errors.
func Hey(out string) (Run, error) {
	var r Run
	m := heyRPS.FindStringSubmatch(out)
	if m == nil {
		return r, errors.New("hey: no Requests/sec line")
	}
	r.RPS, _ = strconv.ParseFloat(m[1], 64) // NaN when nothing was sent

	status, errs := section(out, "Status code distribution:"), section(out, "Error distribution:")
	for _, m := range heyStatus.FindAllStringSubmatch(status, -1) {
		n, _ := strconv.Atoi(m[2])
		r.Requests += n
		if m[1][0] != '2' {
			r.Non2xx += n
		}
	}
	for _, m := range heyError.FindAllStringSubmatch(errs, -1) {
		n, _ := strconv.Atoi(m[1])
		r.Errors += n
		if r.ErrorDetail == "" {
			r.ErrorDetail = strings.TrimSpace(m[2])
		}
	}
	for _, m := range heyLatency.FindAllStringSubmatch(section(out, "Latency distribution:"), -1) {
		secs, _ := strconv.ParseFloat(m[2], 64)
		switch m[1] {
		case "50":
			r.P50Ms = secs * 1000
		case "99":
			r.P99Ms = secs * 1000
		}
	}
	if r.Requests == 0 && r.Errors == 0 {
		return r, errors.New("hey: no status codes and no errors: not a hey summary")
	}
	return r, nil
}

// section returns the lines after the heading up to the next blank line.
func section(out, heading string) string {
	i := strings.Index(out, heading)
	if i < 0 {
		return ""
	}
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(out[i+len(heading):]))
	sc.Scan() // the rest of the heading line
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			break
		}
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	return b.String()
}

var (
	wrkRPS      = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)\s*$`)
	wrkRequests = regexp.MustCompile(`(?m)^\s*(\d+) requests in `)
	wrkLatency  = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	wrkNon2xx   = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses:\s+(\d+)\s*$`)
	wrkSocket   = regexp.MustCompile(`(?m)^\s*(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))\s*$`)
)

// Wrk parses the report of `wrk --latency` (4.x).
func Wrk(out string) (Run, error) {
	var r Run
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return r, errors.New("wrk: no Requests/sec line")
	}
	r.RPS, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkRequests.FindStringSubmatch(out); m != nil {
		r.Requests, _ = strconv.Atoi(m[1])
	}
	for _, m := range wrkLatency.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		ms, err := toMs(v, m[3])
		if err != nil {
			return r, err
		}
		if m[1] == "50" {
			r.P50Ms = ms
		} else {
			r.P99Ms = ms
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		r.Non2xx, _ = strconv.Atoi(m[1])
	}
	if m := wrkSocket.FindStringSubmatch(out); m != nil {
		for _, s := range m[2:] {
			n, _ := strconv.Atoi(s)
			r.Errors += n
		}
		if r.Errors > 0 {
			r.ErrorDetail = m[1]
		}
	}
	return r, nil
}

func toMs(v float64, unit string) (float64, error) {
	switch unit {
	case "us":
		return v / 1000, nil
	case "ms":
		return v, nil
	case "s":
		return v * 1000, nil
	}
	return 0, fmt.Errorf("wrk: unknown latency unit %q", unit)
}
