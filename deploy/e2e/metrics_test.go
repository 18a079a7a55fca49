//go:build k8s

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

const (
	// headRequests is the load the request counter must follow. HEAD, because the
	// kubelet's probes GET /health as well: the HEAD series counts the test's alone.
	headRequests = 1000
	// burstCap is the pod's connection cap in TestScrapedByVictoriaMetrics (MAX_CONNS, the
	// least deploy/manifest accepts), and burstExtra how many connections the burst opens
	// beyond it.
	burstCap   = 64
	burstExtra = 36
	// probesInBurst bounds the kubelet's probes that may meet a full cap while the burst
	// holds it (well under 2 s: one readiness and one liveness probe at most), each
	// refused and counted like the test's own connections.
	probesInBurst = 2
)

// TestScrapedByVictoriaMetrics: the cluster's VictoriaMetrics finds dev's pod through
// Kubernetes service discovery and its annotations, scrapes it once (on the metrics port,
// which the NetworkPolicy opens to the namespace monitoring only), and its counters follow
// what the test did: headRequests HEAD /health through the Service, then an over-cap burst
// of connections held open at the pod.
func TestScrapedByVictoriaMetrics(t *testing.T) {
	ns := restrictedNamespace(t, "getsmall-e2e-metrics")
	patch := deploymentPatch(onNode(guardedNode), envLine("MAX_CONNS", strconv.Itoa(burstCap)))
	start := time.Now()
	apply(t, ns, render(t, "dev", env.plain, "", "", patch))
	pod := waitReady(t, ns, 1)[0]
	ready := time.Since(start)
	vm := victoriaMetrics(t)
	in := fmt.Sprintf(`namespace=%q`, ns)
	tg := waitScraped(t, vm, ns, pod)
	t.Logf("pod ready %.1f s after the apply, discovered and scraped %.1f s after it: %s, labels %v",
		ready.Seconds(), time.Since(start).Seconds(), tg.ScrapeURL, tg.Labels)
	if capV, _ := vm.waitValue(t, "sum(http_connections_max{"+in+"})", func(v float64) bool { return v > 0 }); capV != burstCap {
		t.Errorf("http_connections_max %v, want the pod's MAX_CONNS %d", capV, burstCap)
	}

	// The metrics port is the scraper's alone; the service port stays open to everyone.
	metricsURL := fmt.Sprintf("http://%s:%d/metrics", pod.Status.PodIP, 9090)
	if code, out := runClientLabelled(t, ns, "metrics-denied", guardedNode, nil, "-wait", "5s", "-for", "3s", metricsURL); code != 2 {
		t.Errorf("a pod outside monitoring got through to %s: exit %d: %s", metricsURL, code, out)
	}
	if code, out := runClient(t, ns, "http-open", guardedNode, fmt.Sprintf("http://%s:8080/health", pod.Status.PodIP)); code != 0 {
		t.Errorf("a pod outside monitoring cannot reach the service port: exit %d: %s", code, out)
	}

	head := "sum(http_requests_total{" + in + `,route="/health",method="HEAD"})`
	all := "sum(http_requests_total{" + in + `,route="/health"})`
	// The first HEAD makes its series: make it before the baseline, so that what is timed
	// below is the scrape, not the scraper indexing a series it has never seen.
	url := serviceURL(t, ns)
	sendHeads(t, url, 1)
	before := time.Now()
	head0, _ := vm.waitValue(t, head, func(v float64) bool { return v >= 1 })
	all0, _ := vm.waitValue(t, all, func(float64) bool { return true })
	sending := time.Now()
	sendHeads(t, url, headRequests)
	sent := time.Since(sending)
	headN, took := vm.waitValue(t, head, func(v float64) bool { return v >= head0+headRequests })
	allN, _ := vm.waitValue(t, all, func(float64) bool { return true })
	// The kubelet's probes GET /health too: readiness every 2 s, liveness every 10 s,
	// over the time between the two readings and a scrape interval on either side.
	window := time.Since(before).Seconds() + 4
	probes := window/2 + window/10 + 1
	t.Logf("%d HEAD /health through the Service in %.1f s: the scraper's count went %v -> %v %.1f s later; all /health %v -> %v (the probes' GETs too)",
		headRequests, sent.Seconds(), head0, headN, took.Seconds(), all0, allN)
	if headN != head0+headRequests {
		t.Errorf("HEAD /health counted %v, want %d", headN-head0, headRequests)
	}
	if d := allN - all0; d < headRequests || d > headRequests+probes {
		t.Errorf("all /health counted %v, want %d plus at most %.0f probes'", d, headRequests, probes)
	}

	refusedQ := "sum(http_connections_refused_total{" + in + "})"
	refused503 := "sum(http_refusals_total{" + in + `,status="503"})`
	r0, _ := vm.waitValue(t, refusedQ, func(float64) bool { return true })
	seen, held := burst(t, pod.Status.PodIP+":8080", burstCap+burstExtra)
	time.Sleep(5 * time.Second) // two scrapes after the last refusal: the value has settled
	rN, took := vm.waitValue(t, refusedQ, func(v float64) bool { return v >= r0+float64(seen) })
	r503, _ := vm.waitValue(t, refused503, func(float64) bool { return true })
	t.Logf("burst of %d connections at a cap of %d: %d held, %d answered 503; the scraper's refused count went %v -> %v in %.1f s (503 refusals %v)",
		burstCap+burstExtra, burstCap, held, seen, r0, rN, took.Seconds(), r503)
	if seen < burstExtra || held > burstCap {
		t.Errorf("%d held and %d refused: want at most %d held, the rest refused", held, seen, burstCap)
	}
	if d := rN - r0; d < float64(seen) || d > float64(seen+probesInBurst) {
		t.Errorf("the scraper counted %v refused connections, the client saw %d (and up to %d probes)", d, seen, probesInBurst)
	}
	if r503 != rN {
		t.Errorf("http_refusals_total{status=\"503\"} %v, want http_connections_refused_total's %v (no other 503 of its own)", r503, rN)
	}
	logMemory(t, ns, pod)
}

// waitScraped waits (up to 60 s) until the scraper has exactly one target for pod, on its
// metrics port (not one per container port), scraped without an error.
func waitScraped(t *testing.T, vm *victoria, ns string, pod corev1.Pod) target {
	t.Helper()
	want := fmt.Sprintf("http://%s:9090/metrics", pod.Status.PodIP)
	var last string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		tgs, err := vm.targets(ns)
		switch {
		case err != nil:
			last = err.Error()
		case len(tgs) != 1:
			last = fmt.Sprintf("%d targets in %s: %+v", len(tgs), ns, tgs)
		case tgs[0].ScrapeURL != want || tgs[0].Labels["pod"] != pod.Name:
			t.Fatalf("target %s (pod %s), want %s (pod %s)", tgs[0].ScrapeURL, tgs[0].Labels["pod"], want, pod.Name)
		case tgs[0].Health != "up" || tgs[0].LastError != "":
			last = fmt.Sprintf("target %s: %s %s", want, tgs[0].Health, tgs[0].LastError)
		default:
			return tgs[0]
		}
	}
	t.Fatalf("VictoriaMetrics did not scrape %s in 60 s: %s", want, last)
	return target{}
}

// sendHeads sends n HEAD requests to url on one kept-alive connection, each of which must
// be answered 200: the count the scraper must see is exactly n.
func sendHeads(t *testing.T, url string, n int) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	for i := range n {
		resp, err := client.Head(url)
		if err != nil {
			t.Fatalf("HEAD %s, request %d of %d: %v", url, i+1, n, err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("HEAD %s, request %d of %d: %s", url, i+1, n, resp.Status)
		}
	}
}

// burst opens n connections to addr (a pod, not the Service: a readiness probe refused
// during the burst takes the pod out of the endpoints) and holds them for half a second:
// the server answers those over its cap 503 at once, and waits on the others for a
// request. It returns how many were answered 503 and how many held with no answer.
func burst(t *testing.T, addr string, n int) (refused, held int) {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for i := range n {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatalf("connection %d of %d to %s: %v", i+1, n, addr, err)
		}
		conns = append(conns, c)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(500 * time.Millisecond)
	for _, c := range conns {
		wg.Go(func() {
			_ = c.SetReadDeadline(deadline)
			buf := make([]byte, 12)
			k, err := c.Read(buf)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case bytes.Equal(buf[:k], []byte("HTTP/1.1 503")):
				refused++
			case k == 0 && err != nil && strings.Contains(err.Error(), "timeout"):
				held++
			default:
				t.Errorf("connection to %s: %q, %v: want a 503 or nothing", addr, buf[:k], err)
			}
		})
	}
	wg.Wait()
	return refused, held
}

// logMemory logs what the pod's container is charged after the load and the burst, from
// the kubelet's summary: the working set, which the memory limit is enforced against, and
// the resident set.
func logMemory(t *testing.T, ns string, pod corev1.Pod) {
	t.Helper()
	var summary struct {
		Pods []struct {
			PodRef     struct{ Name, Namespace string } `json:"podRef"`
			Containers []struct {
				Name   string `json:"name"`
				Memory struct {
					WorkingSet uint64 `json:"workingSetBytes"`
					RSS        uint64 `json:"rssBytes"`
				} `json:"memory"`
			} `json:"containers"`
		} `json:"pods"`
	}
	out := mustKubectl(t, nil, "get", "--raw", "/api/v1/nodes/"+pod.Spec.NodeName+"/proxy/stats/summary")
	if err := json.Unmarshal([]byte(out), &summary); err != nil {
		t.Fatalf("the kubelet's summary: %v", err)
	}
	for _, p := range summary.Pods {
		if p.PodRef.Namespace != ns || p.PodRef.Name != pod.Name {
			continue
		}
		for _, c := range p.Containers {
			t.Logf("pod %s, container %s, metrics on: working set %.1f MiB, RSS %.1f MiB",
				pod.Name, c.Name, float64(c.Memory.WorkingSet)/(1<<20), float64(c.Memory.RSS)/(1<<20))
		}
		return
	}
	t.Errorf("the kubelet's summary has no pod %s/%s", ns, pod.Name)
}
