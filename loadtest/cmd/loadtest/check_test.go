package main

import (
	"strings"
	"testing"

	"github.com/getsmall/getsmall/loadtest/internal/parse"
	"github.com/getsmall/getsmall/loadtest/internal/report"
	"github.com/getsmall/getsmall/loadtest/internal/stats"
)

// good is a report that passes every check.
func good() *report.Report {
	ok := func() *report.Throughput {
		l := report.Load{Run: parse.Run{Requests: 100, RPS: 1000}}
		t := &report.Throughput{Runs: []report.Load{l, l, l}, Median: l, WrkRuns: []report.Load{l, l, l}}
		t.Wrk = &t.WrkRuns[1]
		return t
	}
	cold := func(p50 float64) stats.Summary { return stats.Summary{N: 20, Min: p50 / 2, P50: p50} }
	hc := &report.Exec{}
	return &report.Report{
		Params: report.Params{Runs: 3, ColdRuns: 20, UPXLevels: []string{"--lzma"}},
		Variants: []report.Variant{
			{Name: "getsmall", Kind: "plain", ColdStartMs: cold(4), Healthcheck: hc, Throughput: ok()},
			{Name: "getsmall-upx --lzma", Kind: "upx", ColdStartMs: cold(150), Healthcheck: hc, Throughput: ok()},
			{Name: "net/http", Kind: "baseline", ColdStartMs: cold(3), Throughput: ok()},
			{Name: "nginx", Kind: "baseline", ColdStartMs: cold(5), Throughput: ok()},
		},
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		mutate func(*report.Report)
		want   string // "" for no problem
	}{
		"good":          {func(*report.Report) {}, ""},
		"missing nginx": {func(r *report.Report) { r.Variants = r.Variants[:3] }, "variant nginx missing"},
		"missing upx level": {func(r *report.Report) { r.Params.UPXLevels = append(r.Params.UPXLevels, "--best") },
			"variant getsmall-upx --best missing"},
		"hey errors":       {func(r *report.Report) { r.Variants[0].Throughput.Runs[1].Errors = 3 }, "3 errors"},
		"wrk non-2xx":      {func(r *report.Report) { r.Variants[2].Throughput.WrkRuns[2].Non2xx = 9 }, "9 non-2xx"},
		"too few runs":     {func(r *report.Report) { r.Variants[3].Throughput.Runs = r.Variants[3].Throughput.Runs[:2] }, "nginx: throughput runs missing"},
		"few cold starts":  {func(r *report.Report) { r.Variants[1].ColdStartMs.N = 5 }, "5 cold starts, want 20"},
		"no healthcheck":   {func(r *report.Report) { r.Variants[1].Healthcheck = nil }, "healthcheck exec not measured"},
		"plain not faster": {func(r *report.Report) { r.Variants[0].ColdStartMs.P50 = 200 }, "is not below --lzma"},
		"no lzma": {func(r *report.Report) {
			r.Variants[1].Name = "getsmall-upx --best"
			r.Params.UPXLevels = []string{"--best"}
		}, "no --lzma variant"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := good()
			tc.mutate(r)
			problems := strings.Join(verify(r, true), "\n")
			if tc.want == "" && problems != "" || !strings.Contains(problems, tc.want) {
				t.Errorf("problems:\n%s\nwant %q", problems, tc.want)
			}
		})
	}
	if p := verify(good(), false); len(p) != 0 {
		t.Errorf("good report without nginx requirement: %v", p)
	}
}

func TestCheckFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := good().Write(dir); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := check([]string{"-require-nginx=true", dir}, &out); err != nil {
		t.Errorf("check of a good directory: %v\n%s", err, out.String())
	}
	if err := check([]string{t.TempDir()}, &out); err == nil {
		t.Error("check of an empty directory passed")
	}
}
