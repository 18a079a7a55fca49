package main

import (
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/getsmall/getsmall/internal/budget"
	"github.com/getsmall/getsmall/loadtest/internal/report"
)

// errCheck marks a results directory that failed verification.
var errCheck = errors.New("check failed")

// check verifies a results directory: every file is there and readable, every expected
// variant was measured, no request failed, every server has enough clean (undisturbed)
// throughput runs and a per-round ratio to nginx, the plain binary starts faster than the
// LZMA-packed one, and both start within their budgets. It prints each problem and fails if
// there is one.
func check(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("loadtest check", flag.ContinueOnError)
	requireNginx := fs.Bool("require-nginx", lookPath("nginx") != "", "fail when nginx was not measured")
	minClean := fs.Int("min-clean", 0, "clean runs per server and tool to require (0: what the study was run with)")
	budgetsFile := fs.String("budgets", "../budgets.txt", "the template's budgets: the cold starts are held to cold-start-plain-ms and cold-start-upx-lzma-ms")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: loadtest check [-require-nginx] [-min-clean N] RESULTS_DIR")
	}
	dir := fs.Arg(0)
	r, err := report.Read(filepath.Join(dir, "report.json"))
	if err != nil {
		return fmt.Errorf("report.json: %w", err)
	}
	if *minClean > 0 {
		r.Params.MinClean = *minClean
	}
	budgets, err := budget.Load(*budgetsFile)
	if err != nil {
		return err
	}
	problems := verify(r, *requireNginx)
	problems = append(problems, verifyColdStart(r, budgets)...)
	problems = append(problems, verifyFiles(dir)...)
	for _, p := range problems {
		fmt.Fprintln(stdout, "check:", p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %d problem(s) in %s", errCheck, len(problems), dir)
	}
	fmt.Fprintf(stdout, "check: %s: %d variants, no errors, at least %d clean runs per server and tool in %d rounds, plain starts faster than --lzma, cold starts within budget\n",
		dir, len(r.Variants), r.Params.MinClean, r.Params.Rounds)
	return nil
}

// verify checks the content of a report.
func verify(r *report.Report, requireNginx bool) []string {
	var problems []string
	byName := map[string]report.Variant{}
	for _, v := range r.Variants {
		byName[v.Name] = v
	}
	want := []string{report.Getsmall, "net/http"}
	for _, l := range r.Params.UPXLevels {
		want = append(want, "getsmall-upx "+l)
	}
	want = append(want, r.Params.Extra...)
	if requireNginx {
		want = append(want, report.Nginx)
	}
	for _, name := range want {
		if _, ok := byName[name]; !ok {
			problems = append(problems, "variant "+name+" missing")
		}
	}
	if r.Params.MinClean < 1 || len(r.Rounds) < r.Params.Rounds {
		problems = append(problems, fmt.Sprintf("%d of %d rounds recorded, min_clean %d", len(r.Rounds), r.Params.Rounds, r.Params.MinClean))
	}
	tools := []string{report.Hey}
	if r.Params.WrkDuration != "" {
		tools = append(tools, report.Wrk)
	}
	_, haveNginx := byName[report.Nginx]
	for _, v := range r.Variants {
		if v.ColdStartMs.N < r.Params.ColdRuns || v.ColdStartMs.Min <= 0 {
			problems = append(problems, fmt.Sprintf("%s: %d cold starts, want %d", v.Name, v.ColdStartMs.N, r.Params.ColdRuns))
		}
		if v.Kind != "baseline" && v.Healthcheck == nil {
			problems = append(problems, v.Name+": healthcheck exec not measured")
		}
		for _, tool := range tools {
			problems = append(problems, verifyTool(r, v, tool, haveNginx)...)
		}
		if n := r.Params.StraceRequests; n > 0 && (v.Syscalls == nil || v.Syscalls.Requests != n || len(v.Syscalls.Calls) == 0) {
			problems = append(problems, fmt.Sprintf("%s: no syscall counts for %d requests", v.Name, n))
		}
	}
	plain, okPlain := byName[report.Getsmall]
	lzma, okLzma := byName["getsmall-upx --lzma"]
	switch {
	case !okLzma:
		problems = append(problems, "no --lzma variant: set UPX_LEVELS to include --lzma")
	case okPlain && plain.ColdStartMs.P50 >= lzma.ColdStartMs.P50:
		problems = append(problems, fmt.Sprintf("cold start p50: plain %.1f ms is not below --lzma %.1f ms", plain.ColdStartMs.P50, lzma.ColdStartMs.P50))
	}
	return problems
}

// coldStartBudgets names, for each variant a budget holds, the budget of its median cold
// start (exec to the first 200) in budgets.txt.
var coldStartBudgets = map[string]string{
	report.Getsmall:       "cold-start-plain-ms",
	"getsmall-upx --lzma": "cold-start-upx-lzma-ms",
}

// verifyColdStart holds the median cold starts to their budgets.
func verifyColdStart(r *report.Report, budgets budget.Set) []string {
	var problems []string
	for _, v := range r.Variants {
		name, ok := coldStartBudgets[v.Name]
		if !ok {
			continue
		}
		b, err := budgets.Get(name)
		if err == nil {
			err = b.Check(int64(math.Ceil(v.ColdStartMs.P50)))
		}
		if err != nil {
			problems = append(problems, v.Name+": "+err.Error())
		}
	}
	return problems
}

// verifyTool checks one server's runs with one tool: a run in every round, no failed
// request in any run, enough clean runs, and a round where it and nginx were both clean.
func verifyTool(r *report.Report, v report.Variant, tool string, haveNginx bool) []string {
	t := v.Throughput.Tool(tool)
	if t == nil {
		return []string{fmt.Sprintf("%s: no %s runs", v.Name, tool)}
	}
	var problems []string
	rounds := map[int]bool{}
	clean := 0
	for _, l := range t.Runs {
		rounds[l.Round] = true
		if !l.Disturbed {
			clean++
		}
		if l.Errors != 0 || l.Non2xx != 0 || l.Requests == 0 {
			problems = append(problems, fmt.Sprintf("%s: a %s run had %d errors and %d non-2xx in %d requests (%s)", v.Name, tool, l.Errors, l.Non2xx, l.Requests, l.ErrorDetail))
		}
	}
	if len(rounds) < r.Params.Rounds {
		problems = append(problems, fmt.Sprintf("%s: %s ran in %d of %d rounds", v.Name, tool, len(rounds), r.Params.Rounds))
	}
	if clean < r.Params.MinClean {
		problems = append(problems, fmt.Sprintf("%s: %d clean %s runs of %d, want at least %d: the machine was too busy to measure (see the disturbed runs in report.md)",
			v.Name, clean, tool, len(t.Runs), r.Params.MinClean))
	}
	if haveNginx && v.Name != report.Nginx && t.VsNginx == nil {
		problems = append(problems, fmt.Sprintf("%s: no round where it and nginx both had a clean %s run: no ratio to nginx", v.Name, tool))
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
