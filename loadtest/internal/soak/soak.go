package soak

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Documented is every status the README lists; anything else fails the soak.
var Documented = map[int]bool{200: true, 400: true, 404: true, 405: true, 408: true, 413: true, 431: true, 503: true, 505: true}

// Config is one soak run.
type Config struct {
	Binary   string
	Port     int           // the soaked server's; the idle twin's is Port+1
	Requests int64         // stop after this many answers...
	Duration time.Duration // ...or after this long
	Mix      Mix
	Every    time.Duration // sampling period
	Settle   time.Duration // idle time before the final checks: past fasthttp's 10 s worker expiry
	Log      io.Writer
}

// Result is what a soak run saw.
type Result struct {
	Config  Config        `json:"-"`
	Started time.Time     `json:"started"`
	Took    time.Duration `json:"took_ns"`
	Answers int64         `json:"answers"`
	Status  map[int]int64 `json:"status"`
	NotHTTP int64         `json:"not_http"`
	Failed  int64         `json:"failed"`  // connections that ended without an answer
	Idle    Sample        `json:"idle"`    // the soaked server before any traffic
	After   Sample        `json:"after"`   // the same after Settle without traffic
	Samples []Sample      `json:"samples"` // during the traffic
	Settle  []Sample      `json:"settle"`  // then, idle
	// Goroutines of the soaked server and of its idle twin, from SIGQUIT dumps, counted by
	// the function that started them; the runtime's own are left out.
	Routines map[string]map[string]int `json:"goroutines"`
	Checks   map[string]bool           `json:"checks"`
	Problems []string                  `json:"problems"`
}

// Run soaks the binary: it starts the server and an idle twin, sends the mix until the
// request or time bound, samples memory and handles throughout, lets the server idle for
// Settle, and then compares it with where it started and with the twin.
func Run(cfg Config) (*Result, error) {
	r := &Result{Config: cfg, Started: time.Now(), Routines: map[string]map[string]int{}, Checks: map[string]bool{}}
	// GOTRACEBACK=all makes SIGQUIT dump every goroutine: the shipped binary has no debug
	// endpoint, and a dump at the end is all the soak needs.
	env := []string{"GOTRACEBACK=all"}
	srv, err := StartProcess("soaked", cfg.Binary, fmt.Sprintf("127.0.0.1:%d", cfg.Port), env)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	twin, err := StartProcess("twin", cfg.Binary, fmt.Sprintf("127.0.0.1:%d", cfg.Port+1), env)
	if err != nil {
		return nil, err
	}
	defer twin.Stop()
	for _, t := range []*Target{srv, twin} { // the same warm-up for both
		for range 10 {
			if _, err := Get(t.Addr, "/health", time.Second); err != nil {
				return nil, err
			}
		}
	}
	time.Sleep(cfg.Every)
	if r.Idle, err = srv.Sample(); err != nil {
		return nil, err
	}

	counts := &Counts{}
	tr := &traffic{addr: srv.Addr, limit: cfg.Requests, stop: make(chan struct{}), c: counts}
	tr.run(cfg.Mix.KeepAlive, tr.keepAlive)
	tr.run(cfg.Mix.Churn, tr.churn)
	tr.run(cfg.Mix.Slow, tr.slow)
	tr.run(cfg.Mix.Malformed, tr.malformed)
	deadline := time.After(cfg.Duration)
	tick := time.NewTicker(cfg.Every)
	defer tick.Stop()
	last := int64(0)
sampling:
	for {
		select {
		case <-tick.C:
			s, err := srv.Sample()
			if err != nil {
				tr.once.Do(func() { close(tr.stop) })
				return r, fmt.Errorf("the server stopped during the soak: %w; log: %s", err, srv.Log())
			}
			s.At = time.Since(r.Started)
			r.Samples = append(r.Samples, s)
			n := counts.Total()
			fmt.Fprintf(cfg.Log, "soak: %5.0fs %9d answers (%6.0f/s), RSS %s anon + %s file, %d fds, %d threads\n",
				s.At.Seconds(), n, float64(n-last)/cfg.Every.Seconds(), kib(s.Anon), kib(s.File), s.FDs, s.Threads)
			last = n
		case <-deadline:
			tr.once.Do(func() { close(tr.stop) })
		case <-tr.stop:
			break sampling
		}
	}
	tr.wg.Wait()
	r.Took = time.Since(r.Started)
	r.Answers, r.Status, r.NotHTTP, r.Failed = counts.Total(), counts.ByStatus(), counts.notHTTP.Load(), counts.failed.Load()

	fmt.Fprintf(cfg.Log, "soak: %d answers in %.0f s; idling %v before the final checks\n", r.Answers, r.Took.Seconds(), cfg.Settle)
	for end := time.Now().Add(cfg.Settle); time.Now().Before(end); {
		time.Sleep(cfg.Every)
		s, err := srv.Sample()
		if err != nil {
			return r, fmt.Errorf("the server stopped after the soak: %w", err)
		}
		s.At = time.Since(r.Started)
		r.Settle = append(r.Settle, s)
		r.After = s
	}
	for name, t := range map[string]*Target{"soaked": srv, "twin": twin} {
		n, err := goroutines(t)
		if err != nil {
			return r, err
		}
		r.Routines[name] = n
	}
	r.check()
	return r, nil
}

// goroutines ends t with SIGQUIT and counts the goroutines in its stack dump.
func goroutines(t *Target) (map[string]int, error) {
	if err := t.Signal(syscall.SIGQUIT, 10*time.Second); err != nil {
		return nil, err
	}
	g := Goroutines(t.Log())
	if g["main"] != 1 {
		return nil, errors.New(t.Name + ": no goroutine dump after SIGQUIT: " + t.Log())
	}
	return g, nil
}

var goroutineHeader = regexp.MustCompile(`^goroutine (\d+) (gp=\S+ m=\S+ (mp=\S+ )?)?\[`)

// Goroutines counts the goroutines of a Go stack dump (GOTRACEBACK=all) by the function
// that started them ("main" for the main goroutine), leaving out the runtime's own, whose
// number changes with garbage collection rather than with the program.
func Goroutines(dump string) map[string]int {
	g := map[string]int{}
	for _, block := range strings.Split(dump, "\n\n") {
		block = strings.TrimSpace(block)
		m := goroutineHeader.FindStringSubmatch(block)
		if m == nil || m[1] == "0" {
			continue
		}
		creator := "main"
		if _, after, ok := strings.Cut(block, "\ncreated by "); ok {
			creator, _, _ = strings.Cut(after, " in goroutine")
			creator, _, _ = strings.Cut(creator, "\n")
		}
		if !strings.HasPrefix(creator, "runtime.") {
			g[creator]++
		}
	}
	return g
}

func total(g map[string]int) int {
	n := 0
	for _, v := range g {
		n += v
	}
	return n
}

// check fills Checks and Problems.
func (r *Result) check() {
	add := func(name string, ok bool, problem string, args ...any) {
		r.Checks[name] = ok
		if !ok {
			r.Problems = append(r.Problems, fmt.Sprintf(problem, args...))
		}
	}
	var odd []string
	for status, n := range r.Status {
		if !Documented[status] {
			odd = append(odd, fmt.Sprintf("%d×%d", n, status))
		}
	}
	sort.Strings(odd)
	add("only documented statuses", len(odd) == 0 && r.NotHTTP == 0,
		"answers outside the documented statuses: %s, %d not HTTP/1.1", strings.Join(odd, ", "), r.NotHTTP)
	add("file descriptors back to idle", r.After.FDs == r.Idle.FDs,
		"%d open file descriptors after the soak, %d before", r.After.FDs, r.Idle.FDs)
	add("goroutines back to idle", fmt.Sprint(r.Routines["soaked"]) == fmt.Sprint(r.Routines["twin"]),
		"goroutines after the soak %v, in an idle twin %v", r.Routines["soaked"], r.Routines["twin"])
	growth, ok := Plateau(r.Samples)
	add("resident memory plateaued", ok,
		"resident memory still growing: the last quarter's peak is %s above the first half's", kib(growth))
	add("every kind of client answered", r.Status[200] > 0 && r.Status[400] > 0 && r.Status[408] > 0 && r.Status[431] > 0,
		"not every kind of client was answered: %v", r.Status)
}

// Plateau compares the peak anonymous memory of the last quarter of the samples with the
// peak of the first half, which holds the warm-up's climb to the working size: memory that
// leaks keeps rising, memory that plateaued does not rise by more than 10% plus 256 KiB.
// It returns the rise.
func Plateau(samples []Sample) (int64, bool) {
	if len(samples) < 8 {
		return 0, false // too short to tell
	}
	q := len(samples) / 4
	peak := func(s []Sample) int64 {
		var m int64
		for _, x := range s {
			m = max(m, x.Anon)
		}
		return m
	}
	second, last := peak(samples[:len(samples)/2]), peak(samples[len(samples)-q:])
	return last - second, last <= second+second/10+256<<10
}
