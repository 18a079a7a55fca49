//go:build k8s

package e2e

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
)

// The load the autoscaler must answer: hey through the Service, bounded in time, requests
// per slice and connections. Each slice is one hey run of sliceRequests requests; its
// CSV has a row for every request that got an answer, so the requests that got none are
// the rest.
const (
	loadFor       = 60 * time.Second
	sliceRequests = 5000
	heyWorkers    = 4
	sampleEvery   = 5 * time.Second
)

// scaleDownFast is the test's own overlay on top of prod: the autoscaler may scale down
// 15 s after the load stops instead of prod's 5 minutes (the default), so the test sees the
// way down too. prod itself is not changed.
const scaleDownFast = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: getsmall
spec:
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 15
`

// sample is one row of the timeline.
type sample struct {
	at                  time.Duration // since the load started
	replicas, ready     int32
	desired             int32
	cpu                 string // the autoscaler's current average utilization of the request
	rps, errs, non200ps float64
}

// TestAutoscaleOnCPU puts prod (with scaleDownFast) under a bounded hey load through its
// Service and follows the HorizontalPodAutoscaler on metrics-server's measurements: it
// must scale up from its minimum of 3 while the load lasts and back down to 3 after,
// with every request answered 200. The timeline (replicas, CPU, requests and errors per
// second) is in the test's output; docs/kubernetes.md charts one.
func TestAutoscaleOnCPU(t *testing.T) {
	ns := restrictedNamespace(t, "getsmall-e2e-autoscale")
	apply(t, ns, render(t, "prod", env.plain, "", "", scaleDownFast))
	waitReady(t, ns, 3)
	url := serviceURL(t, ns)
	waitForMetrics(t, ns)
	hey := heyPath(t)

	var mu sync.Mutex
	var slices []sliceResult
	start := time.Now()
	loadDone := make(chan error, 1)
	go func() {
		for time.Since(start) < loadFor {
			r, err := heySlice(hey, url)
			if err != nil {
				loadDone <- err
				return
			}
			mu.Lock()
			slices = append(slices, r)
			mu.Unlock()
		}
		loadDone <- nil
	}()

	var timeline []sample
	var loadErr error
	loading, peak := true, int32(0)
	for deadline := start.Add(loadFor + 4*time.Minute); time.Now().Before(deadline); time.Sleep(sampleEvery) {
		if loading {
			select {
			case loadErr = <-loadDone:
				loading = false
			default:
			}
		}
		s := sampleAutoscaler(t, ns, time.Since(start))
		mu.Lock()
		s.rps, s.errs, s.non200ps = rates(slices, start, s.at-sampleEvery, s.at)
		mu.Unlock()
		timeline = append(timeline, s)
		peak = max(peak, s.replicas)
		if !loading && s.replicas == 3 && s.desired == 3 && peak > 3 {
			break
		}
	}
	if loading {
		loadErr = <-loadDone
	}
	t.Logf("timeline (hey -n %d -c %d slices for %v through %s):\n%s", sliceRequests, heyWorkers, loadFor, url, formatTimeline(timeline))
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	var sent, answered, ok int
	for _, s := range slices {
		sent, answered, ok = sent+s.sent, answered+s.answered, ok+s.ok
	}
	t.Logf("hey: %d requests in %d slices, %d answered, %d answered 200", sent, len(slices), answered, ok)
	if peak <= 3 {
		t.Errorf("the autoscaler never scaled up from 3 under the load")
	}
	if last := timeline[len(timeline)-1]; last.replicas != 3 {
		t.Errorf("after the load, %d replicas, want the minimum 3 back within 4 minutes", last.replicas)
	}
	if ok != sent {
		t.Errorf("%d of %d requests were not answered 200 (%d got no answer)", sent-ok, sent, sent-answered)
	}
}

// waitForMetrics waits until metrics-server reports every pod and the autoscaler has read
// a CPU utilization: before that it cannot scale.
func waitForMetrics(t *testing.T, ns string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		out, err := kubectl(nil, "get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/"+ns+"/pods")
		var hpa autoscalingv2.HorizontalPodAutoscaler
		getJSON(t, &hpa, "horizontalpodautoscaler", "getsmall", "--namespace", ns)
		if err == nil && strings.Count(out, `"name":"getsmall`) >= 3 && len(hpa.Status.CurrentMetrics) > 0 {
			t.Logf("metrics API: %d pods measured; autoscaler reads %s", strings.Count(out, `"name":"getsmall`), cpuOf(&hpa))
			return
		}
		last = fmt.Sprintf("metrics API: %v %.200s; autoscaler conditions %v", err, out, hpa.Status.Conditions)
	}
	t.Fatalf("no pod metrics within 2 minutes: %s", last)
}

// heyPath builds hey from the root module's tool line once and returns the binary.
func heyPath(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("go", "tool", "-n", "hey")
	cmd.Dir = env.root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go tool -n hey: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// sliceResult is one hey run: when it ran, how many requests it sent, got an answer to,
// and got a 200 for.
type sliceResult struct {
	from, to           time.Time
	sent, answered, ok int
}

func heySlice(hey, url string) (sliceResult, error) {
	r := sliceResult{from: time.Now(), sent: sliceRequests}
	cmd := exec.Command(hey, "-n", strconv.Itoa(sliceRequests), "-c", strconv.Itoa(heyWorkers), "-t", "5", "-o", "csv", url)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return r, fmt.Errorf("hey: %w: %s", err, stderr.String())
	}
	r.to = time.Now()
	rd := csv.NewReader(&stdout)
	header, err := rd.Read()
	if err != nil || len(header) < 7 || header[6] != "status-code" {
		return r, fmt.Errorf("hey CSV header %q: %w", header, err)
	}
	for {
		row, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return r, fmt.Errorf("hey CSV: %w", err)
		}
		r.answered++
		if row[6] == "200" {
			r.ok++
		}
	}
	return r, nil
}

// rates spreads each slice's counts evenly over its run time and sums what falls in the
// window (from, to] since start: requests, no answers and answers other than 200, per
// second.
func rates(slices []sliceResult, start time.Time, from, to time.Duration) (rps, errs, non200 float64) {
	w0, w1 := start.Add(from), start.Add(to)
	for _, s := range slices {
		overlap := minTime(s.to, w1).Sub(maxTime(s.from, w0))
		if overlap <= 0 {
			continue
		}
		share := overlap.Seconds() / s.to.Sub(s.from).Seconds()
		rps += float64(s.sent) * share
		errs += float64(s.sent-s.answered) * share
		non200 += float64(s.answered-s.ok) * share
	}
	secs := (to - from).Seconds()
	return rps / secs, errs / secs, non200 / secs
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func sampleAutoscaler(t *testing.T, ns string, at time.Duration) sample {
	t.Helper()
	var d appsv1.Deployment
	getJSON(t, &d, "deployment", "getsmall", "--namespace", ns)
	var hpa autoscalingv2.HorizontalPodAutoscaler
	getJSON(t, &hpa, "horizontalpodautoscaler", "getsmall", "--namespace", ns)
	return sample{at: at, replicas: d.Status.Replicas, ready: d.Status.ReadyReplicas, desired: hpa.Status.DesiredReplicas, cpu: cpuOf(&hpa)}
}

// cpuOf is the autoscaler's current CPU utilization, in percent of the pods' request.
func cpuOf(hpa *autoscalingv2.HorizontalPodAutoscaler) string {
	for _, m := range hpa.Status.CurrentMetrics {
		if m.Resource != nil && m.Resource.Name == "cpu" && m.Resource.Current.AverageUtilization != nil {
			return fmt.Sprintf("%d%%", *m.Resource.Current.AverageUtilization)
		}
	}
	return "-"
}

func formatTimeline(samples []sample) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %6s %8s %5s %7s %6s %8s %8s %9s\n", "t", "replicas", "ready", "desired", "cpu", "req/s", "errors/s", "non-200/s")
	for _, s := range samples {
		fmt.Fprintf(&b, "  %5.0fs %8d %5d %7d %6s %8.0f %8.1f %9.1f\n", s.at.Seconds(), s.replicas, s.ready, s.desired, s.cpu, s.rps, s.errs, s.non200ps)
	}
	return b.String()
}
