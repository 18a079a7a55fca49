//go:build proxies

package proxies

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// trial is one smuggling attempt and the next clients' requests after it.
type trial struct {
	attempt, next            result // next: the first next client not answered 200, or the last one
	forwarded, nextForwarded string // what the proxy sent the backend for each
	attemptLegs, nextLegs    []int  // over which of its backend connections
	tries                    int    // how many next clients it took
	attemptOpen              bool   // whether a connection the attempt used was still open after them
}

// nextTries bounds the next clients sent after an attempt: a proxy with several idle
// backend connections may take another one than the attempt's a few times.
const nextTries = 8

// over says over which backend connection the last next client's request went: only over
// one the attempt used could a desync the attempt caused reach it.
func (tr trial) over() string {
	switch {
	case len(tr.attemptLegs) == 0:
		return "nothing forwarded"
	case tr.reused():
		return fmt.Sprintf("same backend connection, try %d", tr.tries)
	case !tr.attemptOpen:
		return "the attempt's backend connection closed"
	}
	return fmt.Sprintf("the attempt's backend connection open, not reused in %d tries", tr.tries)
}

// inconclusive says the attempt reached the backend over a connection that stayed open
// and that no next client's request went over: nothing is known of what it left there.
func (tr trial) inconclusive() bool {
	return tr.next.ok() && len(tr.attemptLegs) > 0 && !tr.reused() && tr.attemptOpen
}

// reused says the last next client's request went over a backend connection the attempt
// used.
func (tr trial) reused() bool {
	return len(tr.nextLegs) == 1 && slices.Contains(tr.attemptLegs, tr.nextLegs[0])
}

// smuggle sends s to the proxy on one connection, then plain GET /health requests, each on a
// new connection, until one goes over the backend connection the attempt used, that
// connection is closed, one is not answered 200 {"status":"ok"}, or nextTries were sent.
func smuggle(addr string, r *relay, s shape) trial {
	var tr trial
	m := r.mark()
	tr.attempt = exchange(addr, s.raw, true)
	time.Sleep(settle)
	sent := r.since(m)
	tr.attemptLegs, tr.forwarded = slices.Sorted(maps.Keys(sent)), joined(sent)
	for tr.tries < nextTries {
		tr.tries++
		m = r.mark()
		tr.next = exchange(addr, get, false)
		nextSent := r.since(m)
		tr.nextLegs, tr.nextForwarded = slices.Sorted(maps.Keys(nextSent)), joined(nextSent)
		tr.attemptOpen = r.anyOpen(tr.attemptLegs)
		if !tr.next.ok() || tr.reused() || !tr.attemptOpen {
			break
		}
	}
	return tr
}

// framing says how a proxy framed the first request it forwarded ("transfer-encoding:
// chunked", "content-length: 5"), and "with expect" when it passed the expectation on.
func framing(forwarded string) string {
	if forwarded == "" {
		return "nothing"
	}
	head, _, _ := strings.Cut(forwarded, "\r\n\r\n")
	var out []string
	for line := range strings.SplitSeq(head, "\r\n") {
		k, v, _ := strings.Cut(line, ":")
		switch strings.ToLower(k) {
		case "transfer-encoding", "content-length":
			out = append(out, strings.ToLower(k)+": "+strings.TrimSpace(v))
		case "expect":
			out = append(out, "with expect")
		}
	}
	if len(out) == 0 {
		return "no body"
	}
	return strings.Join(out, ", ")
}

// joined is what the proxy sent on all its connections, in their order.
func joined(sent map[int]string) string {
	var all strings.Builder
	for _, k := range slices.Sorted(maps.Keys(sent)) {
		all.WriteString(sent[k])
	}
	return all.String()
}
