//go:build docker

package docker

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/rawhttp"
	"github.com/getsmall/getsmall/memlimit"
	"github.com/getsmall/getsmall/test/internal/testbin"
)

// attack is how long the slow connections and the load burst go on: longer than the
// server's 5 s read timeout, so slow connections are timed out and opened again.
const attack = 8 * time.Second

var startLine = regexp.MustCompile(`serving on \S+ \(version \S+, commit \S+; memory limit (\d+)\.0 MiB, [\d.]+ MiB in use: max-conns (\d+), (\d+) in a request at once, GOMEMLIMIT [\d.]+ MiB\)`)

// TestMemoryUnderAttack runs the plain and the UPX image as `make docker-run` does, at
// their defaults in --memory 16m, and attacks each for 8 s with four times its derived
// connection cap (at least 64) of slow connections that send most of MAX_HEADER_BYTES (half
// of them then most of MAX_BODY_BYTES) and then nothing, plus a burst of keep-alive load. The container must still run, not
// OOM-killed, and /health must answer 200 within 2 s of the attack's connections closing.
//
// A HEALTHCHECK probe execs the binary again, and a UPX probe unpacks the whole program
// (about 8 MB) next to a server that holds as much: in 16 MiB the UPX image and a probe
// peaked at 16.4 to 16.8 MiB with no connection at all (docs/memory.md). So the
// plain image is attacked with a probe every second, the UPX image at 16 MiB with the
// image's own 30 s interval (no probe during the attack: with one, it does not fit), and
// the UPX image again at 24 MiB with a probe every second.
//
// The plain image is attacked a second time with a fifth of a core (--cpus 0.2): near its
// soft limit the collector takes at most half of what CPU there is, and a starved server
// allocates on while a cycle runs, which memlimit's GCLagBytes keeps room for.
func TestMemoryUnderAttack(t *testing.T) {
	for _, tc := range []struct {
		img                  image
		memory, health, cpus string
	}{
		{images[0], "16", "1s", ""},
		{images[0], "16", "1s", "0.2"},
		{images[1], "16", "30s", ""},
		{images[1], "24", "1s", ""},
	} {
		img := tc.img
		label := fmt.Sprintf("%s %s MiB probe every %s", img.name, tc.memory, tc.health)
		// within is how soon /health must answer again after the attack: a server given a
		// fifth of a core has five times as much to catch up on.
		within := 2 * time.Second
		if tc.cpus != "" {
			label += " on " + tc.cpus + " CPU"
			within = 10 * time.Second
		}
		t.Run(label, func(t *testing.T) {
			runMake(t, img.target)
			port := testbin.FreePort(t)
			addr := fmt.Sprintf("127.0.0.1:%d", port)
			name := fmt.Sprintf("getsmall-memtest-%d", port)
			flags := "-d --name " + name + " --health-interval " + tc.health
			if tc.cpus != "" {
				flags += " --cpus " + tc.cpus
			}
			tag := strings.TrimPrefix(makeVar(t, img.tagVar), makeVar(t, "IMAGE")+":")
			runMake(t, "docker-run", "RUN_TAG="+tag, "DOCKER_RUN_MEMORY="+tc.memory+"m",
				"DOCKER_RUN_PUBLISH=--network host -e ADDR="+addr, "DOCKER_RUN_FLAGS="+flags)
			t.Cleanup(func() { _ = exec.Command(docker(), "rm", "-f", name).Run() })
			if got := get(t, "http://"+addr+"/health"); got != 200 {
				t.Fatalf("GET /health = %d before the attack", got)
			}
			m := startLine.FindStringSubmatch(dockerOut(t, "logs", name))
			if m == nil || m[1] != tc.memory {
				t.Fatalf("no start-up line with a %s MiB limit and a derived cap in the log:\n%s", tc.memory, dockerOut(t, "logs", name))
			}
			maxConns, _ := strconv.Atoi(m[2])
			peak := peakFile(t, name)

			// Four times the open cap: the slow ones fill every place in a request, the
			// open cap and the accept queue.
			slow := max(4*maxConns, 64)
			t.Logf("%s: derived max-conns %d, %s in a request at once; attacking with %d slow connections and 16 load clients for %v", img.name, maxConns, m[3], slow, attack)
			res := attackFor(addr, slow, 16, attack)
			t.Logf("%s: slow connections opened %d, refused with 503 %d; load: %d answered 200, %d refused with 503, %d failed; median 503 after %v",
				img.name, res.slowOpened.Load(), res.slow503.Load(), res.load200.Load(), res.load503.Load(), res.loadFailed.Load(), res.median503())

			var ci struct {
				State struct{ Running, OOMKilled bool }
			}
			inspect(t, name, &ci)
			if !ci.State.Running || ci.State.OOMKilled {
				t.Fatalf("after the attack: running %v, OOM-killed %v", ci.State.Running, ci.State.OOMKilled)
			}
			if peak != "" {
				b, _ := os.ReadFile(peak)
				p, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
				t.Logf("%s: the container's peak charge was %.2f MiB of %s MiB", img.name, float64(p)/(1<<20), tc.memory)
			}
			closed := res.closedAt
			for {
				status, err := getOnce(addr)
				took := time.Since(closed)
				if took > within {
					t.Fatalf("/health not 200 within %v of the attack's connections closing (%v: %d, %v)", within, took, status, err)
				}
				if err == nil && status == 200 {
					t.Logf("%s: /health 200 again %v after the attack's connections closed", img.name, took.Round(time.Millisecond))
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// peakFile returns the container cgroup's peak charge file, resetting it first where the
// kernel allows it (cgroup v1), or "" when there is none.
func peakFile(t *testing.T, name string) string {
	t.Helper()
	cg, err := memlimit.Find("/", dockerOut(t, "inspect", "-f", "{{.State.Pid}}", name))
	if err != nil {
		t.Logf("no cgroup for %s: %v", name, err)
		return ""
	}
	for _, f := range []string{"memory.max_usage_in_bytes", "memory.peak"} {
		p := "/" + strings.TrimPrefix(cg.Dir(), "/") + "/" + f
		if _, err := os.Stat(p); err == nil {
			_ = os.WriteFile(p, []byte("0"), 0)
			return p
		}
	}
	return ""
}

type attackResult struct {
	slowOpened, slow503          atomic.Int64
	load200, load503, loadFailed atomic.Int64
	mu                           sync.Mutex
	took503                      []time.Duration
	closedAt                     time.Time
}

func (r *attackResult) median503() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.took503) == 0 {
		return 0
	}
	s := slices.Clone(r.took503)
	slices.Sort(s)
	return s[len(s)/2]
}

// conns is every connection an attack holds open, so that its end closes them all at once.
type conns struct {
	mu      sync.Mutex
	open    map[net.Conn]bool
	stopped bool
}

// track records an open connection, or forgets a closed one; once the attack has stopped it
// closes a new one instead, so no connection outlives the moment the attack ends.
func (cs *conns) track(c net.Conn, add bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	switch {
	case add && cs.stopped:
		_ = c.Close()
	case add:
		cs.open[c] = true
	default:
		delete(cs.open, c)
	}
}

// stop closes every open connection (which unblocks the goroutines reading from them) and
// returns when it did.
func (cs *conns) stop() time.Time {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.stopped = true
	for c := range cs.open {
		_ = c.Close()
	}
	return time.Now()
}

// dialLoop is one attacker: until stop closes, it dials addr, hands the connection to use
// while tracking it, and closes it. A failed dial is counted in failed, if given, and
// retried after 50 ms.
func (cs *conns) dialLoop(addr string, stop <-chan struct{}, failed *atomic.Int64, use func(net.Conn)) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			if failed != nil {
				failed.Add(1)
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		cs.track(c, true)
		use(c)
		cs.track(c, false)
		_ = c.Close()
	}
}

// attackFor runs slow partial-header connections and keep-alive load clients against
// addr until d has passed, then closes every connection and records when.
func attackFor(addr string, slow, load int, d time.Duration) *attackResult {
	r := &attackResult{}
	stop := make(chan struct{})
	cs := &conns{open: map[net.Conn]bool{}}
	var wg sync.WaitGroup
	// Half send most of a header; half (the costliest connection the model knows) most of a
	// header and then most of a body.
	partial := []string{
		"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 4096-200),
		"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\nX-Pad: " + strings.Repeat("a", 4096-300) + "\r\n\r\n" + strings.Repeat("b", 4000),
	}
	for i := range slow {
		partial := partial[i%2]
		wg.Go(func() {
			cs.dialLoop(addr, stop, nil, func(c net.Conn) {
				r.slowOpened.Add(1)
				sent := time.Now()
				_, _ = io.WriteString(c, partial)
				// Held until the server times it out, refuses it, or the attack ends.
				line, _ := bufio.NewReader(c).ReadString('\n')
				if strings.HasPrefix(line, "HTTP/1.1 503 ") {
					r.slow503.Add(1)
					r.mu.Lock()
					r.took503 = append(r.took503, time.Since(sent))
					r.mu.Unlock()
					time.Sleep(200 * time.Millisecond) // refused: try again a little later
				}
			})
		})
	}
	for range load {
		wg.Go(func() {
			cs.dialLoop(addr, stop, &r.loadFailed, func(c net.Conn) {
				br := bufio.NewReader(c)
				for range 1000 {
					_ = c.SetDeadline(time.Now().Add(5 * time.Second))
					if _, err := io.WriteString(c, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
						r.loadFailed.Add(1)
						return
					}
					status, err := rawhttp.ReadResponse(br, false)
					switch status {
					case 200:
						r.load200.Add(1)
					case 503:
						r.load503.Add(1)
						return
					}
					if err != nil {
						r.loadFailed.Add(1)
						return
					}
				}
			})
		})
	}
	time.Sleep(d)
	close(stop)
	r.closedAt = cs.stop()
	wg.Wait()
	return r
}

// getOnce sends one GET /health and returns the status.
func getOnce(addr string) (int, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.WriteString(c, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return 0, err
	}
	return rawhttp.ReadResponse(bufio.NewReader(c), false)
}
