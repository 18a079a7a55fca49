//go:build k8s

package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/deploy/load"
)

// The drain settings of the rollout tests, to measure what a rollout needs: empty keeps
// the overlay's. K8S_SHUTDOWN_DELAY sets SHUTDOWN_DELAY (0s: no drain after the SIGTERM);
// K8S_PRESTOP_SLEEP sets the preStop sleep in seconds, which delays the SIGTERM itself
// (0: no hook).
func shutdownDelay() string { return os.Getenv("K8S_SHUTDOWN_DELAY") }
func preStopSleep() string  { return os.Getenv("K8S_PRESTOP_SLEEP") }

// TestZeroLossRollout keeps a steady load on prod's Service through a rolling restart
// and then the deletion of a pod, and requires every request to get a 200: no 503, no
// refused or reset connection, no timeout. The preStop sleep keeps each old pod serving
// until kube-proxy stops sending it new connections; the server's drain then closes the
// kept-alive connections after their next answer, so their clients move to another pod.
// The load's clients retry only a GET on a reused connection closed before any answer
// (package load): the count is reported, and it never turns a 503 or a refused
// connection into a 200.
func TestZeroLossRollout(t *testing.T) {
	ns := restrictedNamespace(t, "getsmall-e2e-rollout")
	set := render(t, "prod", env.plain, shutdownDelay(), preStopSleep())
	drain := drainOf(t, set)
	apply(t, ns, set)
	waitReady(t, ns, 3)
	checkHealthThroughService(t, ns)
	t.Logf("preStop sleep %v, SHUTDOWN_DELAY %v, grace period %v", drain.PreStopSleep, drain.ShutdownDelay, drain.Grace)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan *load.Result, 1)
	go func() {
		res, err := load.Run(ctx, load.Config{
			URL: serviceURL(t, ns), Rate: 200, Workers: 16,
			MaxRequests: 200 * 300, MaxDuration: 5 * time.Minute, Timeout: 5 * time.Second,
		})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	time.Sleep(2 * time.Second) // steady load first

	start := time.Now()
	mustKubectl(t, nil, "rollout", "restart", "deployment/getsmall", "--namespace", ns)
	pods := waitReady(t, ns, 3)
	restarted := time.Since(start)
	victim := pods[0].Name
	deleted := time.Now()
	mustKubectl(t, nil, "delete", "pod", victim, "--namespace", ns, "--wait=false")
	pods = waitReady(t, ns, 3)
	total := time.Since(start)
	time.Sleep(2 * time.Second) // and steady load after
	cancel()
	res := <-done
	if res == nil {
		t.Fatal("no load result")
	}

	t.Logf("rolling restart done in %.1f s (old pods gone), pod %s deleted and replaced by %.1f s", restarted.Seconds(), victim, total.Seconds())
	t.Logf("load through the Service during it: %v", res)
	t.Logf("requests %d, non-200 %d, no answer %d, p99 %v; kept-alive clients: %d answers closed their connection, %d requests retried; new connections: %d retried",
		res.Requests, res.Non200(), res.Errors, res.Percentile(99).Round(10*time.Microsecond), res.KeepAlive.Closed, res.KeepAlive.Retried, res.Fresh.Retried)
	if last := lastFreshFailure(res.Failures, deleted); !last.IsZero() {
		// Without a long enough preStop sleep: how long new connections still reached the
		// deleted pod (they get the drain's 503, or are refused without a drain).
		t.Logf("new connections failed until %.2f s after the pod's deletion", last.Sub(deleted).Seconds())
	}
	if res.Non200() > 0 || res.Errors > 0 {
		t.Errorf("%d of %d requests got another answer than 200 and %d got none; per second since the restart:\n%s",
			res.Non200(), res.Requests, res.Errors, timeline(res.Failures, start))
	}
	if res.Requests < 1000 || res.Missed > res.Requests/100 {
		t.Errorf("%d requests, %d ticks missed: the load did not run through the rollout as offered", res.Requests, res.Missed)
	}
	// A drain that never told a kept-alive client to go would prove nothing about it.
	if drain.ShutdownDelay > 0 && res.KeepAlive.Closed == 0 {
		t.Errorf("no answer on a kept-alive connection closed it: the drain was not exercised")
	}
	for _, p := range pods {
		for _, cs := range p.Status.ContainerStatuses {
			if cs.RestartCount != 0 {
				t.Errorf("pod %s restarted %d times", p.Name, cs.RestartCount)
			}
		}
	}
}

// lastFreshFailure is the time of the last failure on a new connection after since, or
// zero.
func lastFreshFailure(failures []load.Failure, since time.Time) time.Time {
	var last time.Time
	for _, f := range failures {
		if f.Fresh && f.At.After(since) {
			last = f.At
		}
	}
	return last
}

// timeline counts failures per second since start, by kind of connection and answer.
func timeline(failures []load.Failure, start time.Time) string {
	type key struct {
		second int
		what   string
	}
	counts := map[key]int{}
	var keys []key
	for _, f := range failures {
		what := "new connection"
		if !f.Fresh {
			what = "kept-alive connection"
		}
		if f.Err != "" {
			what += ", no answer: " + f.Err
		} else {
			what += fmt.Sprintf(", status %d", f.Status)
		}
		k := key{int(f.At.Sub(start).Seconds()), what}
		if counts[k] == 0 {
			keys = append(keys, k)
		}
		counts[k]++
	}
	var out strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&out, "  +%ds: %d x %s\n", k.second, counts[k], k.what)
	}
	return out.String()
}
