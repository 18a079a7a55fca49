package soak

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Variant is one way getsmall runs: a binary as a process, or an image in a container.
type Variant struct {
	Name      string // e.g. "plain process", "upx container"
	Binary    string // for a process
	Tag       string // for a container: the tag after "getsmall:"
	Container bool
}

// MemcostConfig says what to measure and how many connections to hold.
type MemcostConfig struct {
	Repo     string // the repository root, for make docker-run
	Docker   string
	Variants []Variant
	Shapes   []Shape
	Steps    []int // connection counts to sample at, in increasing order, starting at 0
	// ContainerSteps are the Steps of a container, whose memory limit bounds them.
	ContainerSteps []int
	Limits         Limits
	Port           int
	Settle         time.Duration // after opening connections, before sampling
	Log            io.Writer
}

// Cost is what one shape costs in one variant.
type Cost struct {
	Variant string   `json:"variant"`
	Shape   Shape    `json:"shape"`
	Conns   []int    `json:"conns"`
	Samples []Sample `json:"samples"`
	// Per connection, least-squares slopes of each measure over Conns, in bytes.
	Anon, File, Cgroup, CgroupKernel, Sockets float64
	Status                                    map[int]int `json:"status"`
	Failed                                    int         `json:"failed"`
}

// Probe is what one `getsmall healthcheck` exec adds at its peak.
type Probe struct {
	Variant string `json:"variant"`
	// PeakRSS is the probe process's own peak (rusage), for a process variant; Cgroup the
	// rise of the container's peak charge during the probe (v1 max_usage_in_bytes).
	PeakRSS int64 `json:"peak_rss,omitempty"`
	Cgroup  int64 `json:"cgroup,omitempty"`
}

// Memcost is the whole measurement.
type Memcost struct {
	Idle      []IdleCost        `json:"idle,omitempty"` // getsmall beside its peers, idle connections only
	Baselines map[string]Sample `json:"baselines"`      // each variant just after start
	Costs     []Cost            `json:"costs"`
	Probes    []Probe           `json:"probes"`
}

// RunMemcost measures every shape in every variant, each on a fresh server, and one
// healthcheck probe per variant.
func RunMemcost(cfg MemcostConfig) (*Memcost, error) {
	m := &Memcost{Baselines: map[string]Sample{}}
	addr := "127.0.0.1:" + strconv.Itoa(cfg.Port)
	for _, v := range cfg.Variants {
		for _, shape := range cfg.Shapes {
			c, base, err := cfg.measure(v, shape, addr)
			if err != nil {
				return m, fmt.Errorf("%s, %s: %w", v.Name, shape, err)
			}
			if _, ok := m.Baselines[v.Name]; !ok {
				m.Baselines[v.Name] = base
			}
			m.Costs = append(m.Costs, *c)
		}
		p, err := cfg.probe(v, addr)
		if err != nil {
			return m, fmt.Errorf("%s, healthcheck probe: %w", v.Name, err)
		}
		m.Probes = append(m.Probes, *p)
	}
	return m, nil
}

func (cfg *MemcostConfig) start(v Variant, addr string) (*Target, error) {
	// The cap is lifted so that the counts measured are the counts held; the container
	// still has make docker-run's --memory 16m.
	env := []string{"MAX_CONNS=100000", "MAX_HEADER_BYTES=" + strconv.Itoa(cfg.Limits.HeaderBytes), "MAX_BODY_BYTES=" + strconv.Itoa(cfg.Limits.BodyBytes)}
	if v.Container {
		return StartContainer(v.Name, cfg.Repo, cfg.Docker, v.Tag, addr, env, nil)
	}
	return StartProcess(v.Name, v.Binary, addr, env)
}

func (cfg *MemcostConfig) measure(v Variant, shape Shape, addr string) (*Cost, Sample, error) {
	t, err := cfg.start(v, addr)
	if err != nil {
		return nil, Sample{}, err
	}
	defer t.Stop()
	fmt.Fprintf(cfg.Log, "%s, %s:", v.Name, shape)
	c := &Cost{Variant: v.Name, Shape: shape}
	h := NewHolder()
	defer h.Close()
	held := 0
	var base Sample
	steps := cfg.Steps
	if v.Container {
		steps = cfg.ContainerSteps
	}
	for _, n := range steps {
		if err := h.Open(addr, shape, n-held, cfg.Limits); err != nil {
			return nil, base, err
		}
		held = n
		s, err := cfg.settle(t, shape)
		if err != nil {
			return nil, base, err
		}
		if alive, oom := t.Alive(); !alive {
			return nil, base, fmt.Errorf("server died at %d connections (OOM killed: %v)", n, oom)
		}
		if n == 0 {
			base = s
		}
		c.Conns, c.Samples = append(c.Conns, n), append(c.Samples, s)
		fmt.Fprintf(cfg.Log, " %d: %s", n, kib(s.Cgroup+s.Anon*boolInt(!t.Container())))
	}
	fmt.Fprintln(cfg.Log)
	c.Status, c.Failed = h.Counts()
	x := make([]float64, len(c.Conns))
	for i, n := range c.Conns {
		x[i] = float64(n)
	}
	slope := func(f func(Sample) int64) float64 {
		y := make([]float64, len(c.Samples))
		for i, s := range c.Samples {
			y[i] = float64(f(s))
		}
		return Slope(x, y)
	}
	c.Anon = slope(func(s Sample) int64 { return s.Anon })
	c.File = slope(func(s Sample) int64 { return s.File })
	c.Cgroup = slope(func(s Sample) int64 { return s.Cgroup })
	c.CgroupKernel = slope(func(s Sample) int64 { return s.CgroupKernel })
	c.Sockets = slope(func(s Sample) int64 { return s.Sockets })
	return c, base, nil
}

// settle waits cfg.Settle and samples. Under load (Active) memory moves all the time, so
// it keeps the sample with the highest charge seen over the period.
func (cfg *MemcostConfig) settle(t *Target, shape Shape) (Sample, error) {
	_, port, _ := net.SplitHostPort(t.Addr)
	var best Sample
	deadline := time.Now().Add(cfg.Settle)
	for first := true; first || time.Now().Before(deadline); first = false {
		if shape != Active && time.Now().Before(deadline) {
			time.Sleep(time.Until(deadline))
		}
		s, err := t.Sample()
		if err != nil {
			return s, err
		}
		s.Sockets = socketBytes(port)
		if first || s.Cgroup+s.Anon > best.Cgroup+best.Anon {
			best = s
		}
		if shape == Active {
			time.Sleep(100 * time.Millisecond)
		}
	}
	return best, nil
}

// probe measures one `getsmall healthcheck` against a fresh server of the variant.
func (cfg *MemcostConfig) probe(v Variant, addr string) (*Probe, error) {
	t, err := cfg.start(v, addr)
	if err != nil {
		return nil, err
	}
	defer t.Stop()
	p := &Probe{Variant: v.Name}
	if !v.Container {
		cmd := exec.Command(v.Binary, "healthcheck") //nolint:gosec // the caller's binary
		cmd.Env = append(os.Environ(), "ADDR="+addr)
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("healthcheck: %w: %s", err, out)
		}
		p.PeakRSS = maxRSS(cmd.ProcessState)
		return p, nil
	}
	// cgroup v1 keeps the peak charge and resets it on a write; v2 has no reset everywhere.
	peakFile := "/" + strings.TrimPrefix(t.cgroup.Dir(), "/") + "/memory.max_usage_in_bytes"
	var peaks []int64
	for range 5 {
		if err := os.WriteFile(peakFile, []byte("0"), 0); err != nil {
			return nil, errors.New("no resettable peak (cgroup v1 memory.max_usage_in_bytes): " + err.Error())
		}
		before, err := t.cgroup.Usage()
		if err != nil {
			return nil, err
		}
		if out, err := exec.Command(cfg.Docker, "exec", t.name, "/getsmall", "healthcheck").CombinedOutput(); err != nil { //nolint:gosec // a name this package made
			return nil, fmt.Errorf("docker exec healthcheck: %w: %s", err, out)
		}
		peaks = append(peaks, readInt(peakFile)-before)
	}
	p.Cgroup = maxOf(peaks)
	return p, nil
}

func maxOf(v []int64) int64 {
	m := v[0]
	for _, x := range v[1:] {
		m = max(m, x)
	}
	return m
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// kib formats bytes as KiB with one decimal.
func kib(b int64) string { return strconv.FormatFloat(float64(b)/1024, 'f', 1, 64) + " KiB" }

// Slope is the least-squares slope of y over x.
func Slope(x, y []float64) float64 {
	n := float64(len(x))
	if len(x) < 2 || len(x) != len(y) {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
		sxx += x[i] * x[i]
		sxy += x[i] * y[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}
