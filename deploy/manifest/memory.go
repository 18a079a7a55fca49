package manifest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/getsmall/getsmall/server"
	corev1 "k8s.io/api/core/v1"
)

// MemoryModel is how much memory the server needs, as the checks see it.
type MemoryModel struct {
	// Baseline is the resident memory of a started server with no connection.
	Baseline int64
	// PerConn is what each open connection adds (buffers and socket memory).
	PerConn int64
	// MaxConns is the connection cap the server runs with inside a memory limit of limit
	// bytes when MAX_CONNS is not set.
	MaxConns func(limit int64) int
}

// MinConns is the fewest connections a pod must be able to hold: the kubelet's probes,
// kube-proxy's and a load balancer's keep-alive connections, and room for clients.
const MinConns = 64

// CurrentModel is the server's memory model today, as the memory cgroup counts it (what
// the OOM killer goes by): the edge overlay's UPX container uses 8,196 KiB at rest on the
// test cluster (7,436 KiB of it resident, all anonymous: the unpacked program), the plain
// image less; each connection holding a partial request adds 13 to 15 KiB there, and about
// 600 of them OOM-kill the UPX image at 16 MiB under Docker. The server's cap does not
// depend on the limit yet: it is server.Defaults().MaxConns.
//
// When the server derives its cap and GOMEMLIMIT from the container's limit, this becomes
// the server's exported model (its baseline and per-connection constants, and the cap it
// derives for a limit).
func CurrentModel() MemoryModel {
	return MemoryModel{
		Baseline: 8200 << 10,
		PerConn:  16 << 10,
		MaxConns: func(int64) int { return server.Defaults().MaxConns },
	}
}

// CheckMemory checks the container's memory request and limit against the model: the
// request covers a started server (the scheduler's promise is true), the limit holds a
// full house of connections at the cap the server will run with (MAX_CONNS, or the cap it
// derives), that cap is useful, and GOMEMLIMIT, if set, is below the limit.
func CheckMemory(c *corev1.Container, m MemoryModel) error {
	cfg, env, err := ServerConfig(c)
	if err != nil {
		return fmt.Errorf("container %s: %w", c.Name, err)
	}
	req, hasReq := c.Resources.Requests[corev1.ResourceMemory]
	limit, hasLimit := c.Resources.Limits[corev1.ResourceMemory]
	if !hasReq || !hasLimit {
		return fmt.Errorf("container %s: set both a memory request and a memory limit (the server sizes itself by the limit)", c.Name)
	}
	var errs []error
	if req.Value() < m.Baseline {
		errs = append(errs, fmt.Errorf("memory request %s is below the %s a started server uses", req.String(), mib(m.Baseline)))
	}
	if req.Cmp(limit) > 0 {
		errs = append(errs, fmt.Errorf("memory request %s exceeds the limit %s", req.String(), limit.String()))
	}
	conns := m.MaxConns(limit.Value())
	if _, ok := env["MAX_CONNS"]; ok {
		conns = cfg.MaxConns
	}
	if full := m.Baseline + int64(conns)*m.PerConn; full > limit.Value() {
		errs = append(errs, fmt.Errorf("memory limit %s cannot hold %d connections: %s + %d x %s = %s",
			limit.String(), conns, mib(m.Baseline), conns, kib(m.PerConn), mib(full)))
	}
	if conns < MinConns {
		errs = append(errs, fmt.Errorf("with a memory limit of %s the server accepts only %d connections, want at least %d", limit.String(), conns, MinConns))
	}
	if v, ok := env["GOMEMLIMIT"]; ok {
		n, err := parseGoMemLimit(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("GOMEMLIMIT %q: %w", v, err))
		case n >= limit.Value():
			errs = append(errs, fmt.Errorf("GOMEMLIMIT %s is not below the memory limit %s: the GC would not act before the OOM killer", v, limit.String()))
		}
	}
	return errors.Join(errs...)
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
func kib(n int64) string { return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10)) }
