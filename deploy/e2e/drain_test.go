//go:build k8s

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

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
