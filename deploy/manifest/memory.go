package manifest

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/getsmall/getsmall/memlimit"
	corev1 "k8s.io/api/core/v1"
)

// MinUsefulConns is the fewest connections the server in a pod must accept, whether it
// derives its cap from the memory limit or MAX_CONNS sets it. The kubelet's probes need a
// connection each and count against the cap: a pod whose cap is full of clients' idle
// keep-alive connections answers the readiness probe 503 (it leaves the Service) and, for
// long enough, the liveness probe (it is restarted). 64 leaves room for the probes next to
// the keep-alive pools of a few proxies (an ingress controller, a mesh sidecar, a
// monitoring agent), and is four times the server's own floor (memlimit.MinConns), below
// which it warns at start.
const MinUsefulConns = 64

// Memory is what the server in a container will find and derive at start, from the
// model in package memlimit (memlimit.ForImage: the image's measured start, cgroup v2 as
// current nodes run it, the default read limits).
type Memory struct {
	Request, Limit int64 // the container's memory request and limit, bytes
	UPX            bool  // the UPX image, which starts with the unpacked program in memory
	Procs          int   // GOMAXPROCS in the container
	Budget         memlimit.Budget
	// Conns is the connection cap the server runs with: MAX_CONNS when set (ConnsSet),
	// else the derived Budget.MaxConns.
	Conns    int
	ConnsSet bool
}

// MemoryOf returns what the server in c will derive, for the plain or the UPX image.
func MemoryOf(c *corev1.Container, upx bool) (Memory, error) {
	cfg, set, err := ServerConfig(c)
	if err != nil {
		return Memory{}, fmt.Errorf("container %s: %w", c.Name, err)
	}
	req, hasReq := c.Resources.Requests[corev1.ResourceMemory]
	limit, hasLimit := c.Resources.Limits[corev1.ResourceMemory]
	if !hasReq || !hasLimit {
		return Memory{}, fmt.Errorf("container %s: set both a memory request and a memory limit (the server sizes itself by the limit)", c.Name)
	}
	procs, err := goMaxProcs(c, set)
	if err != nil {
		return Memory{}, fmt.Errorf("container %s: %w", c.Name, err)
	}
	m := Memory{Request: req.Value(), Limit: limit.Value(), UPX: upx, Procs: procs, ConnsSet: cfg.MaxConnsSet()}
	m.Budget = memlimit.ForImage(m.Limit, upx, procs)
	m.Conns = m.Budget.MaxConns
	if m.ConnsSet {
		m.Conns = cfg.MaxConns
	}
	return m, nil
}

// goMaxProcs is the GOMAXPROCS the Go runtime will choose in c: the GOMAXPROCS variable,
// else the CPU limit rounded up with the runtime's minimum of 2 (Go 1.25 and later). The
// model keeps memory free per GOMAXPROCS (memlimit.ThreadBytes), and without either the
// runtime takes the node's CPU count: the same manifest would derive 139 connections in
// 16 MiB on a 2-CPU node and 38 on a 128-CPU one. So one of the two must bound it.
func goMaxProcs(c *corev1.Container, env map[string]string) (int, error) {
	if v, ok := env["GOMAXPROCS"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			// The runtime ignores such a value silently and uses the node's CPU count.
			return 0, fmt.Errorf("GOMAXPROCS %q: want a whole number of at least 1", v)
		}
		return n, nil
	}
	if cpu, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
		return max(2, int(math.Ceil(float64(cpu.MilliValue())/1000))), nil
	}
	return 0, errors.New("neither GOMAXPROCS nor a CPU limit: GOMAXPROCS would be the node's CPU count, and the connection cap the server derives would depend on the node")
}

// CheckMemory checks the container's memory against what the server will derive there
// (MemoryOf): the request covers a started server, so the scheduler's promise is true;
// the cap the server runs with is at least MinUsefulConns and fits the limit, so it
// starts without a warning; and GOMEMLIMIT, if set, leaves the connections their room.
func CheckMemory(c *corev1.Container, upx bool) error {
	m, err := MemoryOf(c, upx)
	if err != nil {
		return err
	}
	image := "plain"
	baseline := int64(memlimit.BaselinePlainBytes)
	if upx {
		image, baseline = "UPX", memlimit.BaselineUPXBytes
	}
	var errs []error
	if m.Request < baseline {
		errs = append(errs, fmt.Errorf("memory request %s is below the %s a started server in the %s image uses", mib(m.Request), mib(baseline), image))
	}
	if m.Request > m.Limit {
		errs = append(errs, fmt.Errorf("memory request %s exceeds the limit %s", mib(m.Request), mib(m.Limit)))
	}
	fits := m.Budget.Fit()
	holds := fmt.Sprintf("a memory limit of %s holds %d connections (%d in a request at up to %s, the rest at %s between requests) in the %s image with GOMAXPROCS %d",
		mib(m.Limit), fits, min(fits, m.Budget.MaxBusy), kib(m.Budget.ConnBytes), kib(m.Budget.ParkedBytes), image, m.Procs)
	switch {
	case m.ConnsSet && m.Conns < MinUsefulConns:
		errs = append(errs, fmt.Errorf("MAX_CONNS %d: want at least %d (the probes need connections too)", m.Conns, MinUsefulConns))
	case m.ConnsSet && !m.Budget.Fits(m.Conns):
		errs = append(errs, fmt.Errorf("MAX_CONNS %d: %s; %d need %s", m.Conns, holds, m.Conns, wholeMi(m.Budget.LimitFor(m.Limit, m.Conns))))
	case !m.ConnsSet && m.Conns < MinUsefulConns:
		errs = append(errs, fmt.Errorf("%s, want at least %d: %s would hold them", holds, MinUsefulConns, wholeMi(m.Budget.LimitFor(m.Limit, MinUsefulConns))))
	}
	if v, ok := envValue(c, "GOMEMLIMIT"); ok {
		n, err := parseGoMemLimit(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("GOMEMLIMIT %q: %w", v, err))
		case n > m.Budget.SoftLimit:
			errs = append(errs, fmt.Errorf("GOMEMLIMIT %s is above the %s a memory limit of %s leaves for Go: the collector would not act before the OOM killer (the server warns at start)",
				v, mib(m.Budget.SoftLimit), mib(m.Limit)))
		}
	}
	return errors.Join(errs...)
}

// envValue returns the literal value c gives the variable name.
func envValue(c *corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

// parseGoMemLimit reads GOMEMLIMIT as the Go runtime does: a number of bytes with an
// optional B, KiB, MiB, GiB or TiB suffix.
func parseGoMemLimit(s string) (int64, error) {
	units := []struct {
		suffix string
		shift  uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}
	shift := uint(0)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, shift = strings.TrimSuffix(s, u.suffix), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)>>shift {
		return 0, errors.New("want bytes with an optional B, KiB, MiB, GiB or TiB suffix")
	}
	return n << shift, nil
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// wholeMi is n bytes rounded up to a Kubernetes quantity in Mi.
func wholeMi(n int64) string { return fmt.Sprintf("%dMi", (n+1<<20-1)>>20) }

func kib(n int64) string { return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10)) }
