// Package study measures getsmall against its baselines on loopback: size and pack time of
// each UPX level, cold start, resident memory, the cost of one healthcheck exec, and
// throughput with hey (cross-checked with wrk). It only ever sends traffic to 127.0.0.1,
// bounded in requests and time.
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
	Getsmall, NetHTTP, Hey   string // binaries to measure and the load generator
	UPX, Nginx, Wrk, Taskset string
	UPXLevels                []string

	Requests        int           // per hey run; ignored when Duration > 0
	Duration        time.Duration // per hey run
	Warmup          int           // requests before the measured runs
	Concurrency     int
	Runs            int // measured hey runs per server (at least 3)
	ColdRuns        int // cold starts per variant (at least 20)
	HealthcheckRuns int
	WrkDuration     time.Duration

	Pin                  bool // server and clients on different CPUs
	ServerCPU, ClientCPU int
	Port                 int
	OutDir               string
	Log                  io.Writer // progress lines
}

// Minimums the issue asks for: fewer runs cannot give a median or a p95 worth printing.
const (
	minRuns     = 3
	minColdRuns = 20
	coldLimit   = 10 * time.Second // a start slower than this is a failure, not a number
)

// Check validates cfg and the machine before anything runs, so bad setup fails in the first
// second with one line.
func (c *Config) Check() error {
	switch {
	case c.Runs < minRuns:
		return fmt.Errorf("runs %d: at least %d are needed for a median", c.Runs, minRuns)
	case c.ColdRuns < minColdRuns:
		return fmt.Errorf("cold runs %d: at least %d are needed for a p95", c.ColdRuns, minColdRuns)
	case c.Concurrency < 1:
		return fmt.Errorf("concurrency %d: must be at least 1", c.Concurrency)
	case c.Duration <= 0 && c.Requests < c.Concurrency:
		return fmt.Errorf("requests %d: must be at least the concurrency (%d)", c.Requests, c.Concurrency)
	case c.HealthcheckRuns < 1:
		return fmt.Errorf("healthcheck runs %d: must be at least 1", c.HealthcheckRuns)
	case len(c.UPXLevels) > 0 && c.UPX == "":
		return errors.New("upx not found: install UPX 4.x (Debian bookworm-backports: upx-ucl) or set UPX_LEVELS= to skip the UPX variants")
	case c.Pin && c.Taskset == "":
		return errors.New("taskset not found: install util-linux or set LT_PIN=0")
	}
	for _, bin := range []string{c.Getsmall, c.NetHTTP, c.Hey} {
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
	argv        []string // with the listen address already in place
	binary      string   // for the healthcheck exec; empty for non-getsmall servers
	measureLoad bool
}

// Study runs the measurements of one Config.
type Study struct {
	cfg   Config
	notes []string
}

// New returns a Study for a checked Config.
func New(cfg Config) *Study { return &Study{cfg: cfg} }

func (s *Study) logf(format string, args ...any) {
	fmt.Fprintf(s.cfg.Log, "loadtest: "+format+"\n", args...)
}

func (s *Study) note(format string, args ...any) {
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
}

// Run measures every variant and returns the report; it writes nothing itself.
func (s *Study) Run() (*report.Report, error) {
	c := &s.cfg
	r := &report.Report{Date: time.Now().UTC(), Machine: s.machine(), Params: s.params()}

	variants, err := s.variants()
	if err != nil {
		return nil, err
	}
	for i := range variants {
		v := &variants[i]
		s.logf("%s: %d cold starts", v.Name, c.ColdRuns)
		if err := s.measure(v); err != nil {
			return nil, fmt.Errorf("%s: %w", v.Name, err)
		}
		r.Variants = append(r.Variants, v.Variant)
	}
	s.interpret(r)
	r.Notes = s.notes
	return r, nil
}

// measure fills in a variant: cold starts, then one more start kept running for RSS, the
// healthcheck execs and the load runs.
func (s *Study) measure(v *variant) error {
	c := &s.cfg
	cold := make([]float64, 0, c.ColdRuns)
	for range c.ColdRuns {
		p, ms, err := s.coldStart(v.argv)
		if err != nil {
			return err
		}
		cold = append(cold, ms)
		if err := p.stop(); err != nil {
			return err
		}
	}
	v.ColdStartMs = stats.Summarize(cold)

	p, _, err := s.coldStart(v.argv)
	if err != nil {
		return err
	}
	defer func() { _ = p.stop() }()
	pid := p.cmd.Process.Pid
	if v.RSSStart, err = rss(pid); err != nil {
		return err
	}
	if v.binary != "" {
		s.logf("%s: %d healthcheck execs", v.Name, c.HealthcheckRuns)
		if v.Healthcheck, err = s.healthcheckCost(v.binary); err != nil {
			return err
		}
	}
	if v.measureLoad {
		if v.Throughput, err = s.throughput(v.Name, pid); err != nil {
			return err
		}
	}
	if v.RSSLoad, err = rss(pid); err != nil {
		return err
	}
	return p.stop()
}

// coldStart starts argv and returns it running, with the milliseconds from exec to the
// first 200.
func (s *Study) coldStart(argv []string) (*proc, float64, error) {
	started := time.Now()
	p, err := s.start(argv)
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
		Requests: c.Requests, Concurrency: c.Concurrency, Runs: c.Runs, WarmupRequests: c.Warmup,
		ColdRuns: c.ColdRuns, HealthcheckRuns: c.HealthcheckRuns, UPXLevels: c.UPXLevels,
		Pinned: c.Pin, Addr: c.addr(),
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
