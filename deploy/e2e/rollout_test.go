//go:build k8s

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsmall/getsmall/deploy/load"
	"github.com/getsmall/getsmall/deploy/manifest"
	corev1 "k8s.io/api/core/v1"
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

// TestDeletePodDrains deletes dev's one pod while asking it for /health directly and
// watching it through the API: /health turns 503 for the drain, the server stops
// accepting, and the container exits 0 before its grace period ends.
func TestDeletePodDrains(t *testing.T) {
	ns := restrictedNamespace(t, "getsmall-e2e-drain")
	set := render(t, "dev", env.plain, shutdownDelay(), preStopSleep())
	apply(t, ns, set)
	pod := waitReady(t, ns, 1)[0]
	url := fmt.Sprintf("http://%s:8080/health", pod.Status.PodIP)

	watch := watchPod(t, ns, pod.Name)
	probes := pollHealth(url)
	deleted := time.Now()
	mustKubectl(t, nil, "delete", "pod", pod.Name, "--namespace", ns, "--wait=false")
	final, err := watch.wait(2 * time.Minute)
	seen := probes.stop()
	if err != nil {
		t.Fatal(err)
	}

	// 200s, then 503s while draining, then no answer: in that order, each phase present.
	phase, first503, last503 := 0, time.Time{}, time.Time{}
	for _, p := range seen {
		next := phase
		switch {
		case p.status == http.StatusOK:
			next = 0
		case p.status == http.StatusServiceUnavailable:
			next = 1
			if first503.IsZero() {
				first503 = p.at
			}
			last503 = p.at
		case p.err != nil:
			next = 2
		default:
			t.Fatalf("unexpected status %d during the drain", p.status)
		}
		if next < phase {
			t.Fatalf("answers went back from phase %d to %d at %s: %v", phase, next, p.at.Format("15:04:05.000"), seen)
		}
		phase = next
	}
	if first503.IsZero() || phase != 2 {
		t.Fatalf("want 200, then 503 while draining, then refused; got phase %d (%d probes)", phase, len(seen))
	}
	t.Logf("/health answered 503 from %.2f s to %.2f s after the delete (SHUTDOWN_DELAY %s), then nothing",
		first503.Sub(deleted).Seconds(), last503.Sub(deleted).Seconds(), envValue(t, set, "SHUTDOWN_DELAY"))

	term := final.terminated
	if term == nil {
		t.Fatal("the API never showed the container terminated")
	}
	grace := time.Duration(*final.pod.DeletionGracePeriodSeconds) * time.Second
	deadline := final.pod.DeletionTimestamp.Time // deletion time + grace period
	t.Logf("container exited %d (%s) %.2f s after the deletion began (grace period %v)",
		term.ExitCode, term.Reason, term.FinishedAt.Sub(deadline.Add(-grace)).Seconds(), grace)
	if term.ExitCode != 0 {
		t.Errorf("container exit code %d (%s), want 0", term.ExitCode, term.Reason)
	}
	if !term.FinishedAt.Time.Before(deadline) {
		t.Errorf("container finished at %v, not before its grace period ended at %v", term.FinishedAt, deadline)
	}
}

// podWatch follows one pod through `kubectl get --watch` until it is deleted.
type podWatch struct {
	cmd    *exec.Cmd
	result chan podEnd
}

type podEnd struct {
	pod        *corev1.Pod
	terminated *corev1.ContainerStateTerminated
	err        error
}

func watchPod(t *testing.T, ns, name string) *podWatch {
	t.Helper()
	cmd := exec.Command(env.kubectl, "get", "pod", name, "--namespace", ns, "--watch", "--output-watch-events", "-o", "json")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+env.kubeconfig)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	w := &podWatch{cmd: cmd, result: make(chan podEnd, 1)}
	go func() {
		dec := json.NewDecoder(stdout)
		var end podEnd
		for {
			var ev struct {
				Type   string     `json:"type"`
				Object corev1.Pod `json:"object"`
			}
			if err := dec.Decode(&ev); err != nil {
				end.err = fmt.Errorf("watch ended before the pod was deleted: %w", err)
				w.result <- end
				return
			}
			pod := ev.Object
			if end.pod == nil || end.pod.DeletionTimestamp == nil {
				// The first deletion keeps the grace period; the kubelet's final delete
				// after the container exits sets it to 0.
				end.pod = &pod
			}
			for _, cs := range pod.Status.ContainerStatuses {
				if cs.State.Terminated != nil {
					end.terminated = cs.State.Terminated
				}
			}
			if ev.Type == "DELETED" {
				w.result <- end
				return
			}
		}
	}()
	// Let the watch start before anything happens to the pod.
	time.Sleep(500 * time.Millisecond)
	return w
}

func (w *podWatch) wait(d time.Duration) (podEnd, error) {
	select {
	case end := <-w.result:
		return end, end.err
	case <-time.After(d):
		return podEnd{}, fmt.Errorf("pod not deleted within %v", d)
	}
}

// probe is one GET /health during the drain.
type probe struct {
	at     time.Time
	status int
	err    error
}

type poller struct {
	mu     sync.Mutex
	seen   []probe
	cancel context.CancelFunc
	done   chan struct{}
}

// pollHealth asks url every 50 ms on a new connection each time (what a fresh client
// sees), until stop.
func pollHealth(url string) *poller {
	ctx, cancel := context.WithCancel(context.Background())
	p := &poller{cancel: cancel, done: make(chan struct{})}
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		defer close(p.done)
		for ctx.Err() == nil {
			pr := probe{at: time.Now()}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
			resp, err := client.Do(req)
			if err == nil {
				pr.status = resp.StatusCode
				_ = resp.Body.Close()
			} else {
				pr.err = err
			}
			if ctx.Err() != nil {
				return
			}
			p.mu.Lock()
			p.seen = append(p.seen, pr)
			p.mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
	}()
	return p
}

func (p *poller) stop() []probe {
	p.cancel()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen
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

// envValue is the value the rendered container gives the variable name.
func envValue(t *testing.T, set *manifest.Set, name string) string {
	t.Helper()
	c, err := set.Container(manifest.ContainerName)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	t.Fatalf("container sets no %s", name)
	return ""
}
