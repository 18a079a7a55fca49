// Package openloop is the study's fixed-rate load generator: requests go out on a schedule
// (request i is due i/rate seconds after the start) whether or not earlier answers have
// come, and each latency is counted from when its request was due, not from when it was
// sent. A closed-loop client (wrk, hey) waits for an answer before sending again, so a
// server that stalls also stalls the requests that would have measured the stall
// (coordinated omission); here a stall shows in every request due during it.
//
// It is one thread driving non-blocking sockets through epoll, as wrk is, because it must
// keep up with 90 % of nginx's rate on the single CPU the study gives its clients. How late
// the generator itself was against the schedule is reported too: that lateness is part of
// every latency, so a run whose generator fell behind shows it rather than hiding it.
package openloop

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"syscall"
	"time"
	"unsafe"

	"github.com/getsmall/getsmall/loadtest/internal/parse"
	"github.com/getsmall/getsmall/loadtest/internal/stats"
)

// Config is one fixed-rate run.
type Config struct {
	Addr     string        // a loopback host:port
	Path     string        // the request target
	Rate     float64       // requests per second
	Duration time.Duration // how long requests are sent
	Conns    int           // keep-alive connections; a request goes on an idle one, pipelined when none is
	Timeout  time.Duration // after the last request was due, how long answers are waited for
}

// Validate reports a configuration that cannot run or would not be bounded.
func (c Config) Validate() error {
	switch {
	case c.Rate <= 0 || c.Duration <= 0:
		return errors.New("rate and duration must be positive")
	case c.Conns < 1:
		return errors.New("at least one connection is needed")
	case c.Timeout <= 0:
		return errors.New("timeout must be positive: the run must be bounded in time")
	case c.Rate*c.Duration.Seconds() < 1:
		return errors.New("rate × duration is under one request")
	}
	return nil
}

// sysEpollPwait2 is epoll_pwait2(2), Linux 5.11+: epoll_wait with a nanosecond timeout. The
// number is the same on every Linux architecture; the syscall package has no constant.
const sysEpollPwait2 = 441

// Run sends the requests of cfg and returns what came back. Requests that got no answer
// within cfg.Timeout of the end, or whose connection closed, count as errors.
func Run(cfg Config) (parse.Run, error) {
	if err := cfg.Validate(); err != nil {
		return parse.Run{}, err
	}
	// One thread does everything: lock it, and ask the kernel for exact wake-ups (a thread's
	// default timer slack, 50 µs, would make every request that late).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_, _, _ = syscall.Syscall(syscall.SYS_PRCTL, syscall.PR_SET_TIMERSLACK, 1, 0)

	g := &gen{cfg: cfg, pwait2: true, req: []byte("GET " + cfg.Path + " HTTP/1.1\r\nHost: loadtest\r\n\r\n")}
	defer g.close()
	if err := g.open(); err != nil {
		return parse.Run{}, err
	}
	return g.run()
}

// gen is the state of one run.
type gen struct {
	cfg          Config
	req          []byte
	conns        []*conn
	idle         []*conn // connections with nothing in flight, most recently emptied last
	rr           int     // next connection to pipeline on when none is idle
	epfd         int
	pwait2       bool
	lat, late    []float64 // ms: each answer's latency from its due time; each send's lateness
	errs, non2xx int
	detail       string
	done         int // requests answered or failed
}

func (g *gen) open() error {
	var err error
	if g.epfd, err = syscall.EpollCreate1(syscall.EPOLL_CLOEXEC); err != nil {
		return err
	}
	for i := range g.cfg.Conns {
		c, err := dial(g.cfg.Addr)
		if err != nil {
			return err
		}
		g.conns = append(g.conns, c)
		g.idle = append(g.idle, c)
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(i)}
		if err := syscall.EpollCtl(g.epfd, syscall.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) close() {
	for _, c := range g.conns {
		if !c.dead {
			_ = syscall.Close(c.fd)
		}
	}
	if g.epfd > 0 {
		_ = syscall.Close(g.epfd)
	}
}

func (g *gen) run() (parse.Run, error) {
	total := int(g.cfg.Rate * g.cfg.Duration.Seconds())
	interval := 1e9 / g.cfg.Rate
	due := func(i int) int64 { return int64(float64(i) * interval) }
	deadline := int64(g.cfg.Duration + g.cfg.Timeout)
	g.lat, g.late = make([]float64, 0, total), make([]float64, 0, total)
	events := make([]syscall.EpollEvent, len(g.conns))
	scratch := make([]byte, 64<<10)
	start := time.Now()
	sent := 0
	for g.done < total {
		now := int64(time.Since(start))
		if now > deadline {
			g.fail(total-g.done, fmt.Sprintf("%d requests unanswered %v after the last was due", total-g.done, g.cfg.Timeout))
			break
		}
		pending := false
		for sent < total && due(sent) <= now {
			c := g.pick()
			if c == nil {
				g.fail(total-g.done, "every connection closed")
				return g.result(time.Since(start)), nil
			}
			c.out = append(c.out, g.req...)
			c.push(due(sent))
			g.late = append(g.late, ms(now-due(sent)))
			sent++
		}
		for _, c := range g.conns {
			if c.dead || len(c.out) == 0 {
				continue
			}
			if err := c.flush(); err != nil {
				g.kill(c, "write: "+err.Error())
			} else if len(c.out) > 0 {
				pending = true
			}
		}
		wait := deadline - now
		if sent < total {
			wait = max(0, due(sent)-int64(time.Since(start)))
		}
		if pending { // a full socket: come back soon rather than wait for EPOLLOUT
			wait = min(wait, int64(50*time.Microsecond))
		}
		n, err := g.wait(events, wait)
		if err != nil {
			return parse.Run{}, fmt.Errorf("epoll: %w", err)
		}
		at := int64(time.Since(start))
		for _, ev := range events[:n] {
			g.read(g.conns[ev.Fd], scratch, at)
		}
	}
	return g.result(time.Since(start)), nil
}

// pick is the connection the next request goes on: an idle one if there is one (no
// answer to wait behind), else the next live one in turn, pipelined.
func (g *gen) pick() *conn {
	for len(g.idle) > 0 {
		c := g.idle[len(g.idle)-1]
		g.idle = g.idle[:len(g.idle)-1]
		c.idle = false
		if !c.dead {
			return c
		}
	}
	for range g.conns {
		c := g.conns[g.rr%len(g.conns)]
		g.rr++
		if !c.dead {
			return c
		}
	}
	return nil
}

// read takes what arrived on c and accounts for every whole answer in it, at time at.
func (g *gen) read(c *conn, scratch []byte, at int64) {
	if c.dead {
		return
	}
	n, err := syscall.Read(c.fd, scratch)
	switch {
	case err == syscall.EAGAIN || err == syscall.EINTR:
		return
	case err != nil:
		g.kill(c, "read: "+err.Error())
		return
	case n == 0:
		g.kill(c, "the server closed a connection with requests in flight")
		return
	}
	c.in = append(c.in, scratch[:n]...)
	used := 0
	for c.inFlight() > 0 {
		size, status, err := nextResponse(c.in[used:])
		if err != nil {
			g.kill(c, err.Error())
			return
		}
		if size == 0 {
			break
		}
		used += size
		g.lat = append(g.lat, ms(at-c.pop()))
		g.done++
		if status < 200 || status > 299 {
			g.non2xx++
		}
	}
	c.in = c.in[:copy(c.in, c.in[used:])]
	if c.inFlight() == 0 && !c.idle {
		c.idle = true
		g.idle = append(g.idle, c)
	}
}

// kill closes a broken connection; whatever was in flight on it failed.
func (g *gen) kill(c *conn, why string) {
	if c.dead {
		return
	}
	c.dead = true
	_ = syscall.Close(c.fd)
	g.fail(c.inFlight(), why)
	c.head = len(c.due)
}

func (g *gen) fail(n int, why string) {
	if n <= 0 {
		return
	}
	g.errs += n
	g.done += n
	if g.detail == "" {
		g.detail = why
	}
}

// wait blocks for readable connections for at most ns nanoseconds. Without epoll_pwait2 it
// falls back to epoll_wait's milliseconds, where a wait under 1 ms becomes a poll: the
// generator then spins until the next request is due, which costs CPU but not accuracy.
func (g *gen) wait(events []syscall.EpollEvent, ns int64) (int, error) {
	if g.pwait2 {
		ts := syscall.NsecToTimespec(ns)
		r, _, errno := syscall.Syscall6(sysEpollPwait2, uintptr(g.epfd), uintptr(unsafe.Pointer(&events[0])), //nolint:gosec // the kernel's ABI
			uintptr(len(events)), uintptr(unsafe.Pointer(&ts)), 0, 0) //nolint:gosec // as above
		switch errno {
		case 0:
			return int(r), nil
		case syscall.EINTR:
			return 0, nil
		case syscall.ENOSYS:
			g.pwait2 = false
		default:
			return 0, errno
		}
	}
	n, err := syscall.EpollWait(g.epfd, events, int(ns/int64(time.Millisecond)))
	if err == syscall.EINTR {
		return 0, nil
	}
	return n, err
}

func (g *gen) result(wall time.Duration) parse.Run {
	r := parse.Run{
		Requests: len(g.lat), RPS: float64(len(g.lat)) / wall.Seconds(), TargetRPS: g.cfg.Rate,
		Errors: g.errs, Non2xx: g.non2xx, ErrorDetail: g.detail,
	}
	if len(g.lat) > 0 {
		slices.Sort(g.lat)
		r.P50Ms, r.P99Ms, r.P999Ms = stats.Rank(g.lat, 50), stats.Rank(g.lat, 99), stats.Rank(g.lat, 99.9)
		r.MaxMs = g.lat[len(g.lat)-1]
	}
	if len(g.late) > 0 {
		slices.Sort(g.late)
		r.LateP99Ms, r.LateMaxMs = stats.Rank(g.late, 99), g.late[len(g.late)-1]
	}
	return r
}

func ms(ns int64) float64 { return float64(ns) / 1e6 }
