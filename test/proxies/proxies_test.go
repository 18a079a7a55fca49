//go:build proxies

package proxies

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/bodyroute"
	"github.com/getsmall/getsmall/test/internal/testbin"
)

// The backend's timeouts: a short WRITE_TIMEOUT, so that a pooled connection idles past it
// in idleWait (issue 24 lost the 413 there), and an IDLE_TIMEOUT longer than the whole test,
// so that the backend never closes a pooled connection under a proxy.
const (
	writeTimeout = time.Second
	idleWait     = writeTimeout + time.Second
	// settle lets a proxy put the backend connection back in its pool after a client left.
	settle = 100 * time.Millisecond
)

// echoBinary is getsmall-echo built as make build builds, or PROXIES_ECHO_BINARY (to see
// what another build gets through the proxies, e.g. one from before a change).
func echoBinary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("PROXIES_ECHO_BINARY"); b != "" {
		return b
	}
	return testbin.Echo(t)
}

// backendEnv is the backend's environment, and the PROXIES_BACKEND_ENV fields (VAR=value,
// space-separated) after it: a build from before per-route limits needs MAX_BODY_BYTES=1024
// for its 413 to be the same one.
func backendEnv() []string {
	env := []string{"READ_TIMEOUT=5s", "WRITE_TIMEOUT=" + writeTimeout.String(), "IDLE_TIMEOUT=2m"}
	return append(env, strings.Fields(os.Getenv("PROXIES_BACKEND_ENV"))...)
}

// TestProxies runs the echo binary behind each proxy and checks bodies, the 413 on an idle
// pooled connection, and every smuggling shape.
func TestProxies(t *testing.T) {
	bin := echoBinary(t)
	for _, p := range proxies {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			r := startRelay(t, testbin.Serve(t, bin, backendEnv()...))
			addr := start(t, p, r.addr())
			bodies(t, p, addr, r)
			idleOverLimit(t, p, addr, r)
			for _, s := range shapes {
				tr := smuggle(addr, r, s)
				t.Logf("%-8s | %-40s | proxy: %-36s | forwarded %-30s | next: %s | %s", p.name, s.name, tr.attempt, framing(tr.forwarded), tr.next, tr.over())
				switch {
				case !tr.next.ok():
					t.Errorf("%s, %s: the next client's GET /health got %s, not 200 %s: the attempt changed another client's answer\n  sent      %q\n  forwarded %q\n  then      %q",
						p.name, s.name, tr.next, healthOK, s.raw, tr.forwarded, tr.nextForwarded)
				case tr.inconclusive():
					t.Errorf("%s, %s: the backend connection the attempt went over stayed open and no next client's request went over it in %d tries: a desync there would go unseen",
						p.name, s.name, tr.tries)
				}
			}
		})
	}
}

// bodies checks that body requests pass through p and the route's limit holds, and notes
// how p forwarded each (the framing and whether the expectation went on to the backend).
func bodies(t *testing.T, p proxy, addr string, r *relay) {
	t.Helper()
	const expect = "Expect: 100-continue\r\n"
	at, over := strings.Repeat("a", bodyroute.Limit), strings.Repeat("a", bodyroute.Limit+1)
	for _, c := range []struct {
		name   string
		send   func() result
		status int
		body   string
	}{
		{"a body", func() result { return exchange(addr, post(length("hello"))+"hello", false) }, 200, "got:hello"},
		{"a body, Expect: 100-continue", func() result { return expectContinue(addr, post(length("hello")+expect), "hello") }, 200, "got:hello"},
		{"a chunked body", func() result {
			return exchange(addr, post("Transfer-Encoding: chunked\r\n")+"3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n", false)
		}, 200, "got:hello"},
		{"a body at the limit", func() result { return exchange(addr, post(length(at))+at, false) }, 200, "got:" + at},
		{"a body over the limit", func() result { return exchange(addr, post(length(over))+over, false) }, 413, tooLarge},
		{"a chunked body over the limit", func() result { return exchange(addr, post("Transfer-Encoding: chunked\r\n")+chunks(over), false) }, 413, tooLarge},
		{"over the limit, Expect: 100-continue", func() result { return expectContinue(addr, post(length(over)+expect), over) }, 413, tooLarge},
	} {
		m := r.mark()
		got := c.send()
		t.Logf("%-8s | %-40s | %s | forwarded %s", p.name, c.name, got, framing(joined(r.since(m))))
		if len(got.answers) != 1 || got.answers[0].Status != c.status || got.answers[0].Body != c.body {
			t.Errorf("%s, %s: got %s, want %d %q", p.name, c.name, got, c.status, c.body)
		}
	}
}

// chunks frames body as chunks of 500 bytes at most, and the last chunk.
func chunks(body string) string {
	var b strings.Builder
	for len(body) > 0 {
		n := min(len(body), 500)
		fmt.Fprintf(&b, "%x\r\n%s\r\n", n, body[:n])
		body = body[n:]
	}
	return b.String() + "0\r\n\r\n"
}

// idleOverLimit checks issue 24's case: a body over the limit sent over a pooled backend
// connection that idled past WRITE_TIMEOUT gets the server's 413. The relay proves the
// request went over a connection the proxy had opened before the wait and left idle since.
func idleOverLimit(t *testing.T, p proxy, addr string, r *relay) {
	t.Helper()
	if first := exchange(addr, post(length("hi"))+"hi", false); len(first.answers) != 1 || first.answers[0].Status != 200 {
		t.Fatalf("%s: the request before the idle wait got %s", p.name, first)
	}
	time.Sleep(settle)
	before := r.mark()
	time.Sleep(idleWait)
	if quiet := r.since(before); len(quiet) > 0 {
		t.Fatalf("%s sent to the backend during the idle wait: %v", p.name, quiet)
	}
	over := strings.Repeat("a", bodyroute.Limit+1)
	got := exchange(addr, post(length(over))+over, false)
	used := slices.Sorted(maps.Keys(r.since(before)))
	t.Logf("%-8s | %-40s | %s (backend connection %v of %d open before the %v wait)", p.name,
		"over the limit, pooled connection idle", got, used, len(before), idleWait)
	if len(used) != 1 || used[0] >= len(before) {
		t.Errorf("%s: the request after the wait went over backend connections %v; want one of the %d opened before it (a pooled one)",
			p.name, used, len(before))
	}
	if len(got.answers) != 1 || got.answers[0].Status != 413 || got.answers[0].Body != tooLarge {
		t.Errorf("%s: a body over the limit on a backend connection idle for %v got %s, want 413 %q", p.name, idleWait, got, tooLarge)
	}
}

// TestNaiveBackendIsFlagged proves the smuggling check can fail: behind each proxy, a
// backend that frames by Content-Length alone gets the same shapes. Where a proxy forwards a
// chunked body with a whole request in it, that backend takes the request for the next one
// on the connection (a desync), and a next client whose request goes over that connection
// must be flagged. At least one desync must be caught so, or nothing is proven. The
// connections of a desync are cut afterwards, so that the next shape meets a clean pool
// rather than the one before's leftovers.
func TestNaiveBackendIsFlagged(t *testing.T) {
	var (
		mu     sync.Mutex
		caught []string
	)
	t.Run("behind", func(t *testing.T) {
		for _, p := range proxies {
			t.Run(p.name, func(t *testing.T) {
				t.Parallel()
				r := startRelay(t, startNaive(t))
				addr := start(t, p, r.addr())
				for _, s := range shapes {
					tr := smuggle(addr, r, s)
					desync := strings.Contains(strings.ToLower(tr.forwarded), "transfer-encoding: chunked") && strings.Contains(tr.forwarded, absorbing)
					verdict := "passed"
					if !tr.next.ok() {
						verdict = "FLAGGED"
					}
					if desync {
						verdict += ", a desync (a chunked body with a request in it)"
					}
					t.Logf("%-8s | %-40s | proxy: %-36s | forwarded %-30s | next: %-30s | %s | %s", p.name, s.name, tr.attempt, framing(tr.forwarded), tr.next, tr.over(), verdict)
					if desync {
						r.cut(tr.attemptLegs)
						time.Sleep(settle) // until the proxy has seen them close
					}
					switch {
					case desync && !tr.next.ok():
						mu.Lock()
						caught = append(caught, p.name+": "+s.name)
						mu.Unlock()
					case desync && tr.reused():
						t.Errorf("%s, %s: the next client's request went over the desynchronised backend connection and still got %s: the check missed it\n  forwarded %q\n  then      %q",
							p.name, s.name, tr.next, tr.forwarded, tr.nextForwarded)
					}
				}
			})
		}
	})
	t.Logf("desyncs caught: %q", caught)
	if len(caught) == 0 {
		t.Errorf("no desync of the naive backend was caught behind any proxy: the smuggling check is not shown to fail when it should")
	}
}
