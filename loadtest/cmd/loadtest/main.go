// Command loadtest runs getsmall's load-test study on loopback and writes report.md,
// report.json, chart.svg and latency.svg under a timestamped results directory. `loadtest
// check DIR` verifies such a directory (CI runs it after make loadtest-quick); `loadtest
// render DIR` redraws report.md and the charts from its report.json. make loadtest and make
// loadtest-quick build the binaries and pass every parameter.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/getsmall/getsmall/loadtest/internal/report"
	"github.com/getsmall/getsmall/loadtest/internal/study"
	"github.com/getsmall/getsmall/loadtest/internal/syspath"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "check":
			return check(args[1:], stdout)
		case "render": // redraw report.md and the charts from a report.json
			if len(args) != 2 {
				return errors.New("usage: loadtest render RESULTS_DIR")
			}
			r, err := report.Read(filepath.Join(args[1], "report.json"))
			if err != nil {
				return err
			}
			return r.Write(args[1])
		}
	}
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := study.Config{Log: stderr, ServerCPU: 0, ClientCPU: 1}
	fs.StringVar(&c.Getsmall, "getsmall", "bin/getsmall", "the plain getsmall binary")
	fs.StringVar(&c.NetHTTP, "nethttp", "bin/nethttp", "the net/http baseline binary")
	fs.StringVar(&c.Hey, "hey", "bin/hey", "the hey binary")
	fs.StringVar(&c.Fasthttp, "fasthttp", "bin/fasthttp", "the bare-fasthttp peer binary")
	fs.StringVar(&c.NBIO, "nbio", "bin/nbio", "the nbio peer binary")
	fs.StringVar(&c.OpenLoop, "openloop", "bin/openloop", "the fixed-rate generator binary (cmd/openloop)")
	fs.IntVar(&c.OpenRounds, "open-rounds", 3, "open-loop rounds: every server at every fixed rate once per round (0: skip the phase)")
	fs.DurationVar(&c.OpenDuration, "open-duration", 3*time.Second, "open-loop run duration per server, rate and round")
	percents := fs.String("open-percents", "25 50 75 90", "the fixed rates, in percent of nginx's measured maximum, space-separated")
	fs.IntVar(&c.InitRuns, "init-runs", 5, "starts per Go server with GODEBUG=inittrace=1 (0: skip)")
	logVariant := fs.Bool("log", true, "measure getsmall-log too: the plain binary with LOG_REQUESTS=1, one access-log line per request to a stdout the study discards")
	levels := fs.String("upx-levels", "--best --lzma", "UPX levels to pack and measure, space-separated; empty for none")
	fs.IntVar(&c.Requests, "requests", 50000, "requests per hey run")
	fs.DurationVar(&c.Duration, "duration", 0, "duration per hey run instead of -requests")
	fs.IntVar(&c.Warmup, "warmup", 20000, "hey warm-up requests to each fresh server before its runs")
	fs.IntVar(&c.Concurrency, "concurrency", 50, "concurrent connections (hey -c, wrk -c)")
	fs.IntVar(&c.Rounds, "rounds", 9, "throughput rounds: each runs every server once (hey, then wrk), order rotated")
	fs.IntVar(&c.Retries, "retries", 2, "extra attempts in a round after a disturbed run")
	fs.IntVar(&c.MinClean, "min-clean", 0, "clean runs per server and tool that check requires (0: a majority of the rounds)")
	fs.Float64Var(&c.DisturbedBelow, "disturbed-below", 0.9, "a run is disturbed when other work took over 1 minus this CPU seconds per second of the measured CPUs, or half that while server and client both used fewer than this")
	fs.Float64Var(&c.FarFactor, "far-factor", 2, "a run is disturbed when a cache-line round trip between server and client CPU took this many times the study's typical near one (the lower quartile of every probe; 0: off)")
	fs.DurationVar(&c.QuietWait, "quiet-wait", 10*time.Second, "longest wait for quiet CPUs before one run")
	fs.DurationVar(&c.QuietBudget, "quiet-budget", 3*time.Minute, "longest wait for quiet CPUs in the whole study")
	fs.IntVar(&c.StraceRequests, "strace", 0, "requests of the strace pass that counts syscalls per request (0: skip it)")
	fs.Func("variant", "another getsmall build to measure, as NAME=PATH (repeatable), e.g. getsmall-floppy=bin/floppy/getsmall-upx", func(s string) error {
		name, path, ok := strings.Cut(s, "=")
		if !ok || name == "" || path == "" {
			return fmt.Errorf("%q: want NAME=PATH", s)
		}
		c.Extra = append(c.Extra, study.Extra{Name: name, Path: path})
		return nil
	})
	fs.IntVar(&c.ColdRuns, "cold-runs", 30, "cold starts per variant")
	fs.IntVar(&c.HealthcheckRuns, "healthcheck-runs", 20, "healthcheck execs per getsmall variant")
	fs.DurationVar(&c.WrkDuration, "wrk-duration", 3*time.Second, "wrk run duration per server and round (whole seconds)")
	fs.BoolVar(&c.Pin, "pin", true, "pin the server and the clients to different CPUs with taskset")
	fs.IntVar(&c.Port, "port", 18080, "loopback port the servers listen on")
	out := fs.String("out", "results", "results root; each run writes a new <UTC timestamp> directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.UPXLevels = strings.Fields(*levels)
	for _, f := range strings.Fields(*percents) {
		p, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return fmt.Errorf("-open-percents: %q is not a number", f)
		}
		c.OpenPercents = append(c.OpenPercents, p)
	}
	if *logVariant {
		c.Extra = append(c.Extra, study.Extra{Name: "getsmall-log", Path: c.Getsmall, Env: []string{"LOG_REQUESTS=1"}})
	}
	c.UPX = syspath.Look("upx")
	c.Nginx = syspath.Look("nginx")
	c.Wrk = syspath.Look("wrk")
	c.Taskset = syspath.Look("taskset")
	if c.StraceRequests > 0 {
		c.Strace = syspath.Look("strace")
	}
	if c.Pin && !study.CanPin() {
		fmt.Fprintln(stderr, "loadtest: one CPU only: not pinning")
		c.Pin = false
	}
	if err := c.Check(); err != nil {
		return err
	}
	if c.Pin {
		if err := study.PinSelf(c.Taskset, c.ClientCPU); err != nil {
			return err
		}
	}

	dir := filepath.Join(*out, time.Now().UTC().Format("20060102T150405Z"))
	err := os.MkdirAll(dir, 0o750)
	if err != nil {
		return err
	}
	// Absolute: nginx resolves -c against its -p prefix.
	if c.OutDir, err = filepath.Abs(dir); err != nil {
		return err
	}
	r, err := study.New(c).Run()
	if err != nil {
		return err
	}
	if err := r.Write(dir); err != nil {
		return err
	}
	latest := filepath.Join(*out, "latest")
	_ = os.Remove(latest)
	if err := os.Symlink(filepath.Base(dir), latest); err != nil {
		return err
	}
	fmt.Fprint(stdout, r.Markdown())
	fmt.Fprintf(stdout, "\nwrote %s/{report.md,report.json,chart.svg,latency.svg}\n", dir)
	return nil
}
