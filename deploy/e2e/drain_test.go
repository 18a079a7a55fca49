//go:build k8s

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestDeletePodDrains deletes dev's one pod while asking it for /health directly, on a
// new connection every 50 ms as a health checker does, and watching it through the API.
// The pod must answer 200 through the preStop sleep, 503 from the end of the sleep for
// SHUTDOWN_DELAY, then stop accepting; and its container must exit 0 before the grace
// period ends (exit code from the API).
func TestDeletePodDrains(t *testing.T) {
	ns := restrictedNamespace(t, "getsmall-e2e-drain")
	set := render(t, "dev", env.plain, shutdownDelay(), preStopSleep())
	drain := drainOf(t, set)
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
	ph, err := phasesOf(seen)
	if err != nil {
		t.Fatalf("%v\nanswers since the delete:\n%s", err, describe(seen, deleted))
	}
	since := func(at time.Time) float64 { return at.Sub(deleted).Seconds() }
	t.Logf("preStop sleep %v, SHUTDOWN_DELAY %v: /health answered 200 until %.2f s after the delete, 503 from %.2f s to %.2f s, refused from %.2f s",
		drain.PreStopSleep, drain.ShutdownDelay, since(ph.last200), since(ph.first503), since(ph.last503), since(ph.firstRefused))

	const slack = 100 * time.Millisecond // between a probe's timestamp and its dial
	switch {
	case ph.first503.Before(deleted.Add(drain.PreStopSleep)):
		t.Errorf("503 at %.2f s, inside the preStop sleep of %v: the SIGTERM did not wait for it", since(ph.first503), drain.PreStopSleep)
	case ph.last200.Before(deleted.Add(drain.PreStopSleep / 2)):
		t.Errorf("the last 200 at %.2f s: the pod stopped serving early in its preStop sleep of %v", since(ph.last200), drain.PreStopSleep)
	case ph.last503.Sub(ph.first503) > drain.ShutdownDelay+slack:
		t.Errorf("503 for %v, longer than SHUTDOWN_DELAY %v", ph.last503.Sub(ph.first503), drain.ShutdownDelay)
	case ph.firstRefused.Sub(ph.last200) < drain.ShutdownDelay-slack:
		t.Errorf("refused %v after the last 200: the listener closed before SHUTDOWN_DELAY %v passed", ph.firstRefused.Sub(ph.last200), drain.ShutdownDelay)
	}

	term := final.terminated
	if term == nil {
		t.Fatal("the API never showed the container terminated")
	}
	grace := time.Duration(*final.pod.DeletionGracePeriodSeconds) * time.Second
	deadline := final.pod.DeletionTimestamp.Time // deletion time + grace period
	t.Logf("container exited %d (%s) %.0f s after the deletion began (grace period %v; the API keeps seconds)",
		term.ExitCode, term.Reason, term.FinishedAt.Sub(deadline.Add(-grace)).Seconds(), grace)
	if term.ExitCode != 0 {
		t.Errorf("container exit code %d (%s), want 0", term.ExitCode, term.Reason)
	}
	if grace != drain.Grace {
		t.Errorf("deleted with a grace period of %v, the manifest says %v", grace, drain.Grace)
	}
	if !term.FinishedAt.Time.Before(deadline) {
		t.Errorf("container finished at %v, not before its grace period ended at %v", term.FinishedAt, deadline)
	}
}

// phases is when a deleted pod's answers changed: 200s, then 503s, then none.
type phases struct{ last200, first503, last503, firstRefused time.Time }

// phasesOf reads the probes' answers as 200 {"status":"ok"}, then 503 {"status":"draining"},
// then no answer, in that order, each present, and nothing else.
func phasesOf(seen []probe) (phases, error) {
	var ph phases
	phase := 0
	for _, p := range seen {
		next := 0
		switch {
		case p.err != nil:
			next = 2
		case p.status == http.StatusOK && p.body == `{"status":"ok"}`:
			next = 0
		case p.status == http.StatusServiceUnavailable && p.body == `{"status":"draining"}`:
			next = 1
		default:
			return ph, fmt.Errorf("answer %d %q during the drain", p.status, p.body)
		}
		if next < phase {
			return ph, fmt.Errorf("answers went back from phase %d to %d at %s", phase, next, p.at.Format("15:04:05.000"))
		}
		switch phase = next; phase {
		case 0:
			ph.last200 = p.at
		case 1:
			if ph.first503.IsZero() {
				ph.first503 = p.at
			}
			ph.last503 = p.at
		case 2:
			if ph.firstRefused.IsZero() {
				ph.firstRefused = p.at
			}
		}
	}
	if ph.last200.IsZero() || ph.first503.IsZero() || ph.firstRefused.IsZero() {
		return ph, fmt.Errorf("want 200, then 503, then no answer; got 200 %v, 503 %v, none %v",
			!ph.last200.IsZero(), !ph.first503.IsZero(), !ph.firstRefused.IsZero())
	}
	return ph, nil
}

// describe lists the probes' answers, runs of the same answer on one line.
func describe(seen []probe, since time.Time) string {
	var b strings.Builder
	for i := 0; i < len(seen); {
		j := i
		for j+1 < len(seen) && seen[j+1].what() == seen[i].what() {
			j++
		}
		fmt.Fprintf(&b, "  %.2f s to %.2f s: %d x %s\n", seen[i].at.Sub(since).Seconds(), seen[j].at.Sub(since).Seconds(), j-i+1, seen[i].what())
		i = j + 1
	}
	return b.String()
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
	body   string
	err    error
}

func (p probe) what() string {
	if p.err != nil {
		return "no answer: " + p.err.Error()
	}
	return fmt.Sprintf("%d %s", p.status, p.body)
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
				b, rerr := io.ReadAll(io.LimitReader(resp.Body, 64))
				pr.status, pr.body, pr.err = resp.StatusCode, string(b), rerr
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
