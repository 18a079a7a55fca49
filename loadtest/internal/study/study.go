// Package study measures getsmall against its baselines on loopback: size and pack time of
// each UPX level, cold start, resident memory, the cost of one healthcheck exec, where Go's
// start-up goes (GODEBUG=inittrace=1), throughput with wrk and hey in interleaved rounds
// with disturbed runs flagged and retried, tail latency at fixed rates (open loop), and
// optionally the system calls per request. It only ever sends traffic to 127.0.0.1, bounded
// in requests and time.
package study

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/getsmall/getsmall/loadtest/internal/report"
	"github.com/getsmall/getsmall/loadtest/internal/stats"
)

// Config is one study's inputs. Paths of optional tools are empty when not installed.
type Config struct {
	Getsmall, NetHTTP, Hey           string // binaries to measure and the load generator
	Fasthttp, NBIO                   string // the peers: bare fasthttp and nbio's event loop
	OpenLoop                         string // the fixed-rate generator (cmd/openloop)
	UPX, Nginx, Wrk, Taskset, Strace string
	UPXLevels                        []string
	Extra                            []Extra // more getsmall builds to measure, e.g. the floppy build

	// The open-loop phase: every server at these percentages of nginx's measured maximum
	// (wrk's median req/s of clean runs), OpenRounds times, OpenDuration per rate.
	OpenPercents []float64
	OpenRounds   int
	OpenDuration time.Duration
	InitRuns     int // GODEBUG=inittrace=1 starts per Go server; 0 skips them

	Requests        int           // per hey run; ignored when Duration > 0
	Duration        time.Duration // per hey run
	Warmup          int           // hey requests to each fresh server before its runs
	Concurrency     int
	Rounds          int     // every server runs once per round (at least 3)
	Retries         int     // extra attempts in a round after a disturbed run
	MinClean        int     // clean runs per server and tool that check requires; 0 for a majority of rounds
	DisturbedBelow  float64 // CPU s per s under which a run whose both sides stayed is disturbed
	FarFactor       float64 // a cross-CPU probe this many times the typical near one marks a run disturbed; 0: off
	QuietWait       time.Duration
	QuietBudget     time.Duration
	ColdRuns        int // cold starts per variant (at least 20)
	HealthcheckRuns int
	WrkDuration     time.Duration
	StraceRequests  int // requests of the syscall pass; 0 skips it

	Pin                  bool // server and clients on different CPUs
	ServerCPU, ClientCPU int
	Port                 int
	OutDir               string
	Log                  io.Writer // progress lines
}

// Extra is one more getsmall build to measure under its own name, with Env added to its
// environment (getsmall-log runs the plain binary with LOG_REQUESTS=1).
type Extra struct {
	Name, Path string
	Env        []string
}

// Minimums the issue asks for: fewer rounds cannot give a median or a p95 worth printing.
const (
	minRounds   = 3
	minColdRuns = 20
	coldLimit   = 10 * time.Second // a start slower than this is a failure, not a number
)

// Check validates cfg and the machine before anything runs, so bad setup fails in the first
// second with one line.
func (c *Config) Check() error {
	if c.MinClean == 0 {
		c.MinClean = c.Rounds/2 + 1
	}
	switch {
	case c.Rounds < minRounds:
		return fmt.Errorf("rounds %d: at least %d are needed for a median", c.Rounds, minRounds)
	case c.Retries < 0:
		return fmt.Errorf("retries %d: must not be negative", c.Retries)
	case c.MinClean < 1 || c.MinClean > c.Rounds:
		return fmt.Errorf("min-clean %d: must be between 1 and the rounds (%d)", c.MinClean, c.Rounds)
	case c.DisturbedBelow <= 0 || c.DisturbedBelow > 1:
		return fmt.Errorf("disturbed-below %v: must be in (0, 1] CPU seconds per second", c.DisturbedBelow)
	case c.FarFactor != 0 && c.FarFactor <= 1:
		return fmt.Errorf("far-factor %v: must be 0 (off) or above 1", c.FarFactor)
	case c.ColdRuns < minColdRuns:
		return fmt.Errorf("cold runs %d: at least %d are needed for a p95", c.ColdRuns, minColdRuns)
	case c.Concurrency < 1:
		return fmt.Errorf("concurrency %d: must be at least 1", c.Concurrency)
	case c.Duration <= 0 && c.Requests < c.Concurrency:
		return fmt.Errorf("requests %d: must be at least the concurrency (%d)", c.Requests, c.Concurrency)
	case c.Wrk != "" && (c.WrkDuration < time.Second || c.WrkDuration%time.Second != 0):
		return fmt.Errorf("wrk duration %v: must be whole seconds, at least 1s", c.WrkDuration)
	case c.HealthcheckRuns < 1:
		return fmt.Errorf("healthcheck runs %d: must be at least 1", c.HealthcheckRuns)
	case c.StraceRequests < 0 || (c.StraceRequests > 0 && c.StraceRequests < c.Concurrency):
		return fmt.Errorf("strace requests %d: must be 0 (off) or at least the concurrency", c.StraceRequests)
	case c.StraceRequests > 0 && c.Strace == "":
		return errors.New("strace not found: install it (Debian: apt-get install strace) or leave LT_STRACE unset")
	case len(c.UPXLevels) > 0 && c.UPX == "":
		return errors.New("upx not found: install UPX 4.x (Debian bookworm-backports: upx-ucl) or set UPX_LEVELS= to skip the UPX variants")
	case c.Pin && c.Taskset == "":
		return errors.New("taskset not found: install util-linux or set LT_PIN=0")
	case c.OpenRounds < 0 || (c.OpenRounds > 0 && (c.OpenDuration < 100*time.Millisecond || len(c.OpenPercents) == 0)):
		return fmt.Errorf("open-loop rounds %d, duration %v, %d rates: want 0 rounds (off), or a duration of 100ms or more and a rate", c.OpenRounds, c.OpenDuration, len(c.OpenPercents))
	case c.InitRuns < 0:
		return fmt.Errorf("init-trace runs %d: must not be negative", c.InitRuns)
	}
	for _, p := range c.OpenPercents {
		if p <= 0 || p > 100 {
			return fmt.Errorf("open-loop rate %v %%: must be in (0, 100] of nginx's maximum", p)
		}
	}
	bins := []string{c.Getsmall, c.NetHTTP, c.Hey, c.Fasthttp, c.NBIO}
	if c.OpenRounds > 0 {
		bins = append(bins, c.OpenLoop)
	}
	names := map[string]bool{}
	for _, e := range c.Extra {
		if e.Name == "" || names[e.Name] || strings.ContainsAny(e.Name, "|/ ") {
			return fmt.Errorf("variant name %q: must be unique and free of spaces, slashes and pipes", e.Name)
		}
		names[e.Name] = true
		bins = append(bins, e.Path)
	}
	for _, bin := range bins {
		if fi, err := os.Stat(bin); err != nil || fi.Mode()&0o111 == 0 {
			return fmt.Errorf("%s is not an executable: build it first (make loadtest does)", bin)
		}
	}
	ln, err := net.Listen("tcp", c.addr())
	if err != nil {
		return fmt.Errorf("port %s is busy: stop what listens there or set LT_PORT", c.addr())
	}
	return ln.Close()
}

func (c *Config) addr() string { return "127.0.0.1:" + strconv.Itoa(c.Port) }

// variant is a server to measure and how to start it.
type variant struct {
	report.Variant
	argv   []string // with the listen address already in place
	env    []string // added to the study's environment
	binary string   // for the healthcheck exec; empty for non-getsmall servers
	goBin  bool     // a Go program: GODEBUG=inittrace=1 says where its start-up goes
}

// Study runs the measurements of one Config.
type Study struct {
	cfg        Config
	notes      []string
	quietSpent time.Duration // waiting for quiet moments, against QuietBudget
	probes     []float64     // every cross-CPU round trip so far, in ns; see nearNs
}

// New returns a Study for a checked Config.
func New(cfg Config) *Study { return &Study{cfg: cfg} }

func (s *Study) logf(format string, args ...any) {
	fmt.Fprintf(s.cfg.Log, "loadtest: "+format+"\n", args...)
}

func (s *Study) note(format string, args ...any) {
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
}

// Run measures every variant and returns the report; it writes nothing itself. Start-up,
// memory and healthcheck cost are measured variant by variant; throughput in rounds, so
// that every server is measured in every stretch of the machine's weather.
func (s *Study) Run() (*report.Report, error) {
	c := &s.cfg
	r := &report.Report{Date: time.Now().UTC(), Machine: s.machine(), Params: s.params(), LoadAvgStart: loadAvg()}

	variants, err := s.variants()
	if err != nil {
		return nil, err
	}
	if err := s.coldStarts(variants); err != nil {
		return nil, err
	}
	for i := range variants {
		v := &variants[i]
		if err := s.measure(v); err != nil {
			return nil, fmt.Errorf("%s: %w", v.Name, err)
		}
	}
	for range 10 { // a floor for the cross-CPU probes before the first run
		s.probe(nil)
	}
	if r.Rounds, err = s.rounds(variants); err != nil {
		return nil, err
	}
	s.rejudge(variants)
	if c.OpenRounds > 0 {
		if err := s.openLoop(variants, r); err != nil {
			return nil, err
		}
		s.rejudge(variants)
	}
	r.Params.NearNs = s.nearNs()
	if c.StraceRequests > 0 {
		for i := range variants {
			v := &variants[i]
			s.logf("%s: strace -c over %d requests", v.Name, c.StraceRequests)
			if v.Syscalls, err = s.syscalls(v); err != nil {
				return nil, fmt.Errorf("%s: strace: %w", v.Name, err)
			}
		}
	}
	for _, v := range variants {
		r.Variants = append(r.Variants, v.Variant)
	}
	report.Analyze(r)
	r.LoadAvgEnd = loadAvg()
	s.interpret(r)
	r.Notes = s.notes
	return r, nil
}

// rejudge judges every run again against the reference of the whole study, which later
// probes may have moved: a run's verdict must not depend on when it ran.
func (s *Study) rejudge(variants []variant) {
	for i := range variants {
		for _, t := range []*report.Tool{variants[i].Throughput.Tool(report.Hey), variants[i].Throughput.Tool(report.Wrk)} {
			if t == nil {
				continue
			}
			for j := range t.Runs {
				s.judge(&t.Runs[j])
			}
		}
		for _, rate := range variants[i].OpenLoop {
			for j := range rate.Runs {
				s.judgeOpen(&rate.Runs[j])
			}
		}
	}
}

// coldStarts measures every variant's cold starts in turns, one start of each server per
// turn, so that the ratios the budgets hold (getsmall's start over net/http's) compare
// starts made in the same stretch of a shared machine's weather.
func (s *Study) coldStarts(vs []variant) error {
	c := &s.cfg
	s.logf("%d cold starts of each of %d servers, in turns", c.ColdRuns, len(vs))
	cold := make([][]float64, len(vs))
	for range c.ColdRuns {
		for i := range vs {
			p, ms, err := s.coldStart(vs[i].argv, vs[i].env)
			if err != nil {
				return fmt.Errorf("%s: %w", vs[i].Name, err)
			}
			cold[i] = append(cold[i], ms)
			if err := p.stop(); err != nil {
				return fmt.Errorf("%s: %w", vs[i].Name, err)
			}
		}
	}
	for i := range vs {
		vs[i].ColdStartMs = stats.Summarize(cold[i])
	}
	return nil
}

// measure fills in a variant's other start-up figures: where a Go server's start-up goes,
// then one more start kept running for its resident memory and the healthcheck execs.
func (s *Study) measure(v *variant) error {
	c := &s.cfg
	if v.goBin && c.InitRuns > 0 {
		s.logf("%s: %d starts with GODEBUG=inittrace=1", v.Name, c.InitRuns)
		var err error
		if v.InitTrace, err = s.initTrace(v); err != nil {
			return err
		}
	}
	p, _, err := s.coldStart(v.argv, v.env)
	if err != nil {
		return err
	}
	defer func() { _ = p.stop() }()
	if v.RSSStart, err = rss(p.cmd.Process.Pid); err != nil {
		return err
	}
	if v.binary != "" {
		s.logf("%s: %d healthcheck execs", v.Name, c.HealthcheckRuns)
		if v.Healthcheck, err = s.healthcheckCost(v.binary); err != nil {
			return err
		}
	}
	return p.stop()
}

// coldStart starts argv with env added and returns it running, with the milliseconds from
// exec to the first 200.
func (s *Study) coldStart(argv, env []string) (*proc, float64, error) {
	started := time.Now()
	p, err := s.start(argv, env)
	if err != nil {
		return nil, 0, err
	}
	took, err := p.waitHealthy(s.cfg.addr(), started, coldLimit)
	if err != nil {
		_ = p.stop()
		return nil, 0, err
	}
	return p, float64(took.Microseconds()) / 1000, nil
}

// healthcheckCost runs `binary healthcheck` against the running server, as a container's
// HEALTHCHECK does, and measures each exec's wall time, CPU time and peak memory.
func (s *Study) healthcheckCost(binary string) (*report.Exec, error) {
	url := "http://" + s.cfg.addr() + "/health"
	var wall, cpu []float64
	peak := 0
	for range s.cfg.HealthcheckRuns {
		cmd := exec.Command(binary, "healthcheck", "-url", url) //nolint:gosec // the binary under test
		started := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("healthcheck: %w: %s", err, strings.TrimSpace(string(out)))
		}
		wall = append(wall, float64(time.Since(started).Microseconds())/1000)
		cpu = append(cpu, childCPU(cmd.ProcessState)*1000)
		peak = max(peak, maxRSSKB(cmd.ProcessState))
	}
	return &report.Exec{WallMs: stats.Summarize(wall), CPUMs: stats.Summarize(cpu), MaxRSSKB: peak}, nil
}

func (s *Study) params() report.Params {
	c := &s.cfg
	p := report.Params{
		Requests: c.Requests, Concurrency: c.Concurrency, Rounds: c.Rounds, Retries: c.Retries,
		MinClean: c.MinClean, DisturbedBelow: c.DisturbedBelow, FarFactor: c.FarFactor, WarmupRequests: c.Warmup,
		ColdRuns: c.ColdRuns, HealthcheckRuns: c.HealthcheckRuns, UPXLevels: c.UPXLevels,
		StraceRequests: c.StraceRequests, Pinned: c.Pin, Addr: c.addr(),
		OpenRounds: c.OpenRounds, OpenPercents: c.OpenPercents, InitRuns: c.InitRuns,
	}
	if c.OpenRounds > 0 {
		p.OpenDuration = c.OpenDuration.String()
	}
	for _, e := range c.Extra {
		p.Extra = append(p.Extra, e.Name)
	}
	if c.Duration > 0 {
		p.Requests, p.Duration = 0, c.Duration.String()
	}
	if c.Wrk != "" {
		p.WrkDuration = c.WrkDuration.String()
	}
	if c.Pin {
		p.ServerCPU, p.ClientCPU = strconv.Itoa(c.ServerCPU), strconv.Itoa(c.ClientCPU)
	}
	return p
}

// PinSelf moves every thread of this process with taskset, and so every client it starts
// (hey, wrk, healthcheck execs, the cold-start poller), onto the client CPU. Servers are
// started on the server CPU by startOn.
func PinSelf(taskset string, cpu int) error {
	out, err := exec.Command(taskset, "-a", "-p", "-c", strconv.Itoa(cpu), strconv.Itoa(os.Getpid())).CombinedOutput() //nolint:gosec // fixed tool
	if err != nil {
		return fmt.Errorf("taskset: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// CanPin reports whether there are CPUs enough to keep server and client apart.
func CanPin() bool { return runtime.NumCPU() >= 2 }
