//go:build k8s

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/deploy/load"
)

// The drain settings of the rollout tests, to measure what a rollout needs: empty keeps
// the overlay's. K8S_SHUTDOWN_DELAY sets SHUTDOWN_DELAY (0s shows what happens without a
// drain); K8S_PRESTOP_SLEEP adds a preStop sleep of that many seconds, which delays the
// SIGTERM itself.
func shutdownDelay() string { return os.Getenv("K8S_SHUTDOWN_DELAY") }
func preStopSleep() string  { return os.Getenv("K8S_PRESTOP_SLEEP") }

// drainingBody is what /health answers while the server drains.
const drainingBody = `{"status":"draining"}`

// TestZeroLossRollout keeps a steady load on prod's Service through a rolling restart
// and then the deletion of a pod. No request may be lost: every one gets an answer, and
// every answer is a 200 or, from a pod that is draining, /health's 503. The 503s are
// reported: they are the drain signal, given to the clients whose kept-alive connection
// kube-proxy still holds on a draining pod, and to new connections in the moment before
// kube-proxy drops the pod.
func TestZeroLossRollout(t *testing.T) {
	ns := restrictedNamespace(t, "getsmall-e2e-rollout")
	set := render(t, "prod", env.plain, shutdownDelay(), preStopSleep())
	apply(t, ns, set)
	waitReady(t, ns, 3)
	checkHealthThroughService(t, ns)
	t.Logf("SHUTDOWN_DELAY=%s, preStop sleep %q s", envValue(t, set, "SHUTDOWN_DELAY"), preStopSleep())

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
	if res.Non200() > 0 || res.Errors > 0 {
		t.Logf("non-200 answers and errors per second since the restart:\n%s", timeline(res.Failures, start))
	}
	if res.Errors > 0 {
		t.Errorf("%d of %d requests got no answer", res.Errors, res.Requests)
	}
	for answer, n := range res.Other {
		if answer != fmt.Sprintf("%d %s", http.StatusServiceUnavailable, drainingBody) {
			t.Errorf("%d answers that are neither 200 nor the drain's 503: %s", n, answer)
		}
	}
	if res.Requests < 1000 {
		t.Errorf("only %d requests: the load did not run through the rollout", res.Requests)
	}
	for _, p := range pods {
		for _, cs := range p.Status.ContainerStatuses {
			if cs.RestartCount != 0 {
				t.Errorf("pod %s restarted %d times", p.Name, cs.RestartCount)
			}
		}
	}
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
