package main

import (
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/getsmall/getsmall/loadtest/internal/report"
)

// errCheck marks a results directory that failed verification.
var errCheck = errors.New("check failed")

// check verifies a results directory: every file is there and readable, every expected
// variant was measured, no request failed, and the plain binary starts faster than the
// LZMA-packed one. It prints each problem and fails if there is one.
func check(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("loadtest check", flag.ContinueOnError)
	requireNginx := fs.Bool("require-nginx", lookPath("nginx") != "", "fail when nginx was not measured")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: loadtest check [-require-nginx] RESULTS_DIR")
	}
	dir := fs.Arg(0)
	r, err := report.Read(filepath.Join(dir, "report.json"))
	if err != nil {
		return fmt.Errorf("report.json: %w", err)
	}
	problems := verify(r, *requireNginx)
	problems = append(problems, verifyFiles(dir)...)
	for _, p := range problems {
		fmt.Fprintln(stdout, "check:", p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %d problem(s) in %s", errCheck, len(problems), dir)
	}
	fmt.Fprintf(stdout, "check: %s: %d variants, no errors, plain starts faster than --lzma\n", dir, len(r.Variants))
	return nil
}

// verify checks the content of a report.
func verify(r *report.Report, requireNginx bool) []string {
	var problems []string
	byName := map[string]report.Variant{}
	for _, v := range r.Variants {
		byName[v.Name] = v
	}
	want := []string{"getsmall", "net/http"}
	for _, l := range r.Params.UPXLevels {
		want = append(want, "getsmall-upx "+l)
	}
	if requireNginx {
		want = append(want, "nginx")
	}
	for _, name := range want {
		if _, ok := byName[name]; !ok {
			problems = append(problems, "variant "+name+" missing")
		}
	}
	for _, v := range r.Variants {
		if v.ColdStartMs.N < r.Params.ColdRuns || v.ColdStartMs.Min <= 0 {
			problems = append(problems, fmt.Sprintf("%s: %d cold starts, want %d", v.Name, v.ColdStartMs.N, r.Params.ColdRuns))
		}
		if v.Kind != "baseline" && v.Healthcheck == nil {
			problems = append(problems, v.Name+": healthcheck exec not measured")
		}
		t := v.Throughput
		if t == nil || len(t.Runs) < r.Params.Runs {
			problems = append(problems, v.Name+": throughput runs missing")
			continue
		}
		loads := slices.Concat(t.Runs, t.WrkRuns)
		if t.Wrk != nil && len(t.WrkRuns) == 0 {
			problems = append(problems, v.Name+": wrk median without its runs")
		}
		for _, l := range loads {
			if l.Errors != 0 || l.Non2xx != 0 || l.Requests == 0 {
				problems = append(problems, fmt.Sprintf("%s: a run had %d errors and %d non-2xx in %d requests (%s)", v.Name, l.Errors, l.Non2xx, l.Requests, l.ErrorDetail))
			}
		}
	}
	plain, okPlain := byName["getsmall"]
	lzma, okLzma := byName["getsmall-upx --lzma"]
	switch {
	case !okLzma:
		problems = append(problems, "no --lzma variant: set UPX_LEVELS to include --lzma")
	case okPlain && plain.ColdStartMs.P50 >= lzma.ColdStartMs.P50:
		problems = append(problems, fmt.Sprintf("cold start p50: plain %.1f ms is not below --lzma %.1f ms", plain.ColdStartMs.P50, lzma.ColdStartMs.P50))
	}
	return problems
}

// verifyFiles checks that report.md and chart.svg are there and chart.svg is XML.
func verifyFiles(dir string) []string {
	var problems []string
	md, err := os.ReadFile(filepath.Join(dir, "report.md")) //nolint:gosec // the results directory
	if err != nil || !strings.Contains(string(md), "## Throughput") {
		problems = append(problems, fmt.Sprintf("report.md missing or incomplete (%v)", err))
	}
	svg, err := os.ReadFile(filepath.Join(dir, "chart.svg")) //nolint:gosec // the results directory
	if err != nil {
		return append(problems, "chart.svg: "+err.Error())
	}
	dec := xml.NewDecoder(strings.NewReader(string(svg)))
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return append(problems, "chart.svg is not well-formed: "+err.Error())
		}
	}
	return problems
}
