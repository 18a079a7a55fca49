package soak

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// IdleServer is one server of the side-by-side idle-connection comparison: how to start it
// listening on the comparison's address (getsmall reads ADDR, the others take it in Argv).
type IdleServer struct {
	Name string
	Argv []string
	Env  []string
}

// IdleConfig is the comparison: every server in turn, fresh, holding Conns idle keep-alive
// connections, each after one GET /health.
type IdleConfig struct {
	Servers []IdleServer
	Conns   int
	Addr    string // loopback host:port
	Settle  time.Duration
	Log     io.Writer
}

// IdleCost is what one server holds for Conns idle keep-alive connections.
type IdleCost struct {
	Server string `json:"server"`
	Conns  int    `json:"conns"`  // opened, each answered 200
	Failed int    `json:"failed"` // not opened or not answered 200
	Start  Sample `json:"start"`  // the fresh server, before any connection
	Held   Sample `json:"held"`   // with every connection open and idle
	// Kernel is the machine's TCP socket memory grown while the connections were held: both
	// ends of each, since client and server share the loopback kernel.
	Kernel Kernel `json:"kernel"`
}

// PerConn is the growth of the server's resident memory (anonymous and file-backed) divided
// by the connections it holds, in bytes.
func (c IdleCost) PerConn() float64 {
	if c.Conns == 0 {
		return 0
	}
	return float64(c.Held.Anon+c.Held.File-c.Start.Anon-c.Start.File) / float64(c.Conns)
}

// RaiseFDLimit lifts this process's soft limit on open files to its hard limit, and fails
// when that is still too few for need: the client end of every connection is a descriptor
// here. Servers started afterwards inherit the raised limit (Go restores the original for
// its children only when the program never set it).
func RaiseFDLimit(need int) error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	if l.Cur < uint64(need) { //nolint:gosec // need is positive
		return fmt.Errorf("open files: the hard limit is %d, %d are needed for the connections, the servers' own and this process's: raise it (ulimit -Hn, or LimitNOFILE) or hold fewer", l.Cur, need)
	}
	return nil
}

// RunIdle measures every server of cfg in turn.
func RunIdle(cfg IdleConfig) ([]IdleCost, error) {
	if err := RaiseFDLimit(cfg.Conns + 1024); err != nil {
		return nil, err
	}
	var costs []IdleCost
	for _, srv := range cfg.Servers {
		c, err := cfg.measureIdle(srv)
		if err != nil {
			return costs, fmt.Errorf("%s: %w", srv.Name, err)
		}
		fmt.Fprintf(cfg.Log, "%s: %d idle connections, %.1f KiB each (RSS), kernel %.1f + %.1f KiB per connection pair\n", srv.Name, c.Conns, c.PerConn()/1024,
			float64(c.Kernel.SockstatMem)/1024/float64(max(c.Conns, 1)), float64(c.Kernel.Slab)/1024/float64(max(c.Conns, 1)))
		costs = append(costs, c)
	}
	return costs, nil
}

func (cfg *IdleConfig) measureIdle(srv IdleServer) (IdleCost, error) {
	c := IdleCost{Server: srv.Name}
	t, err := StartCommand(srv.Name, srv.Argv, cfg.Addr, srv.Env)
	if err != nil {
		return c, err
	}
	defer t.Stop()
	time.Sleep(cfg.Settle)
	if c.Start, err = t.Sample(); err != nil {
		return c, err
	}
	kernel := ReadKernel()
	h := NewHolder()
	defer h.Close()
	if err := h.Open(cfg.Addr, Idle, cfg.Conns, Limits{}); err != nil {
		return c, err
	}
	status, failed := h.Counts()
	c.Conns, c.Failed = status[200], failed+cfg.Conns-status[200]
	if c.Failed > 0 {
		return c, fmt.Errorf("%d of %d connections were refused or not answered 200 (%v): the measure would be of fewer", c.Failed, cfg.Conns, status)
	}
	time.Sleep(cfg.Settle)
	if alive, _ := t.Alive(); !alive {
		return c, fmt.Errorf("exited holding %d connections: %s", c.Conns, t.Log())
	}
	if c.Held, err = t.Sample(); err != nil {
		return c, err
	}
	_, port, _ := net.SplitHostPort(cfg.Addr)
	c.Held.Sockets = socketBytes(port)
	c.Kernel = ReadKernel().Sub(kernel)
	return c, nil
}

// IdleMarkdown is the comparison's table.
func IdleMarkdown(costs []IdleCost) string {
	if len(costs) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Idle keep-alive connections, each after one GET /health, held by a fresh server: KiB per connection is the growth of its resident memory (anonymous + file) divided by the connections. The kernel's columns are per connection too, but count both ends (client and server share the loopback kernel) and every other socket of the machine: socket buffers from /proc/net/sockstat's TCP mem, socket objects from /proc/slabinfo (TCP and sock_inode_cache).\n\n")
	b.WriteString("| server | connections | RSS at start KiB | RSS held KiB | **KiB per idle connection** | kernel socket buffers, both ends | kernel socket objects, both ends | server's socket queues (ss) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range costs {
		n := float64(max(c.Conns, 1))
		fmt.Fprintf(&b, "| %s | %s | %s | %s | **%.1f** | %.2f | %.2f | %.2f |\n", c.Server, strconv.Itoa(c.Conns),
			kibInt(c.Start.Anon+c.Start.File), kibInt(c.Held.Anon+c.Held.File), c.PerConn()/1024,
			float64(c.Kernel.SockstatMem)/1024/n, float64(c.Kernel.Slab)/1024/n, float64(c.Held.Sockets)/1024/n)
	}
	return b.String()
}

func kibInt(b int64) string { return strconv.FormatInt(b/1024, 10) }
