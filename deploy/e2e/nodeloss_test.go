//go:build k8s

package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/getsmall/getsmall/deploy/load"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// spreadProd applies prod into a fresh namespace and returns its three ready pods and a
// node other than the first that holds at least one of them (the first node cannot be
// lost here: the API server listens on its address).
func spreadProd(t *testing.T, name string) (ns string, pods []corev1.Pod, victim string) {
	t.Helper()
	nodes := readyNodes(t)
	if len(nodes) < 2 {
		t.Fatalf("%d node(s) Ready, want 2 or more", len(nodes))
	}
	ns = restrictedNamespace(t, name)
	apply(t, ns, render(t, "prod", env.plain, "", ""))
	pods = waitReady(t, ns, 3)
	for _, p := range pods {
		if p.Spec.NodeName != nodes[0] {
			return ns, pods, p.Spec.NodeName
		}
	}
	t.Fatalf("every replica on %s: the spread rule did not place any elsewhere", nodes[0])
	return "", nil, ""
}

// steadyLoad offers 200 requests a second through the Service until the context ends.
func steadyLoad(t *testing.T, ctx context.Context, ns string, timeout time.Duration) <-chan *load.Result {
	t.Helper()
	done := make(chan *load.Result, 1)
	url := serviceURL(t, ns)
	go func() {
		res, err := load.Run(ctx, load.Config{
			URL: url, Rate: 200, Workers: 16,
			MaxRequests: 200 * 300, MaxDuration: 5 * time.Minute, Timeout: timeout,
		})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	return done
}

// TestDrainNodeUnderLoad drains a node that holds a replica while a steady load goes
// through the Service: kubectl drain evicts the pods through the disruption budget (one at
// a time, each replaced and ready before the next goes), and every request gets a 200.
func TestDrainNodeUnderLoad(t *testing.T) {
	ns, pods, victim := spreadProd(t, "getsmall-e2e-node-drain")
	t.Cleanup(func() {
		if _, err := kubectl(nil, "uncordon", victim); err != nil {
			t.Errorf("uncordon %s: %v", victim, err)
		}
	})
	var onVictim int
	for _, p := range pods {
		if p.Spec.NodeName == victim {
			onVictim++
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := steadyLoad(t, ctx, ns, 5*time.Second)
	time.Sleep(2 * time.Second)
	start := time.Now()
	out := mustKubectl(t, nil, "drain", victim, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=180s")
	drained := time.Since(start)
	after := waitReady(t, ns, 3)
	time.Sleep(2 * time.Second)
	cancel()
	res := <-done
	if res == nil {
		t.Fatal("no load result")
	}
	t.Logf("kubectl drain %s (%d of 3 replicas on it) took %.1f s:\n%s", victim, onVictim, drained.Seconds(), out)
	t.Logf("load through the Service during it: %v", res)
	for _, p := range after {
		if p.Spec.NodeName == victim {
			t.Errorf("pod %s still on the drained node %s", p.Name, victim)
		}
	}
	if res.Non200() > 0 || res.Errors > 0 {
		t.Errorf("%d of %d requests got another answer than 200 and %d got none; per second since the drain:\n%s",
			res.Non200(), res.Requests, res.Errors, timeline(res.Failures, start))
	}
	if res.Requests < 1000 {
		t.Errorf("%d requests: the load did not run through the drain", res.Requests)
	}
}

// TestNodeLossUnderLoad loses a node that holds a replica (its kubelet, containerd and
// containers killed, its packets dropped: cluster stop-node) while a steady load goes
// through the Service, and measures how long the Service keeps sending to the lost pods
// and how many requests fail meanwhile. What bounds it is the node controller's grace
// period (20 s on the test cluster, 50 s by default) plus its 5 s check, then the endpoint
// update and kube-proxy's sync; the test fails when the lost pods stay in the Service past
// that bound or requests fail after they left it. The node is brought back at the end.
func TestNodeLossUnderLoad(t *testing.T) {
	ns, pods, victim := spreadProd(t, "getsmall-e2e-node-loss")
	var lostIPs []string
	for _, p := range pods {
		if p.Spec.NodeName == victim {
			lostIPs = append(lostIPs, p.Status.PodIP)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A request to a lost pod gets no answer at all: a short timeout, as a client in a
	// hurry would set, bounds what each costs.
	done := steadyLoad(t, ctx, ns, time.Second)
	time.Sleep(2 * time.Second)

	lost := time.Now()
	t.Log(clusterCommand(t, "stop-node", "-node", victim))
	t.Cleanup(func() { t.Log(clusterCommand(t, "start-node", "-node", victim)) })
	var unknownAt, goneAt time.Time
	for deadline := lost.Add(90 * time.Second); time.Now().Before(deadline) && goneAt.IsZero(); time.Sleep(200 * time.Millisecond) {
		if unknownAt.IsZero() && nodeReadyStatus(t, victim) != corev1.ConditionTrue {
			unknownAt = time.Now()
		}
		if !anyReadyEndpoint(t, ns, lostIPs) {
			goneAt = time.Now()
		}
	}
	time.Sleep(5 * time.Second) // steady load after, on the pods left
	cancel()
	res := <-done
	if res == nil {
		t.Fatal("no load result")
	}
	since := func(at time.Time) float64 { return at.Sub(lost).Seconds() }
	if goneAt.IsZero() {
		t.Fatalf("the lost pods %v were still ready endpoints of the Service 90 s after the node was lost", lostIPs)
	}
	var lastFailure time.Time
	for _, f := range res.Failures {
		lastFailure = f.At
	}
	t.Logf("node %s lost with %d of 3 replicas (%v): node not Ready after %.1f s, its pods out of the Service after %.1f s",
		victim, len(lostIPs), lostIPs, since(unknownAt), since(goneAt))
	t.Logf("load through the Service: %v", res)
	t.Logf("failed requests: %d of %d (%d no answer, %d not 200), the last %.1f s after the loss; per second:\n%s",
		res.Errors+res.Non200(), res.Requests, res.Errors, res.Non200(), since(lastFailure), timeline(res.Failures, lost))
	const bound = 20*time.Second + 5*time.Second + 10*time.Second // grace + monitor period + endpoints and kube-proxy
	if goneAt.Sub(lost) > bound {
		t.Errorf("the lost pods left the Service %.1f s after the loss, past the %v the settings bound it to", since(goneAt), bound)
	}
	// A request sent just before the pods left may time out a second later.
	if !lastFailure.IsZero() && lastFailure.After(goneAt.Add(3*time.Second)) {
		t.Errorf("a request failed %.1f s after the lost pods left the Service (at %.1f s)", since(lastFailure), since(goneAt))
	}
	if res.Non200() > 0 {
		t.Errorf("%d answers other than 200: a lost node must cost timeouts, never a wrong answer", res.Non200())
	}
}

// nodeReadyStatus is the node's Ready condition: True, False or Unknown (no reports).
func nodeReadyStatus(t *testing.T, name string) corev1.ConditionStatus {
	t.Helper()
	var n corev1.Node
	getJSON(t, &n, "node", name)
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return corev1.ConditionUnknown
}

// anyReadyEndpoint reports whether any of ips is a ready endpoint of the getsmall Service.
func anyReadyEndpoint(t *testing.T, ns string, ips []string) bool {
	t.Helper()
	var list discoveryv1.EndpointSliceList
	getJSON(t, &list, "endpointslices", "--namespace", ns, "--selector", "kubernetes.io/service-name=getsmall")
	for _, s := range list.Items {
		for _, e := range s.Endpoints {
			ready := e.Conditions.Ready == nil || *e.Conditions.Ready
			for _, a := range e.Addresses {
				if ready && slices.Contains(ips, a) {
					return true
				}
			}
		}
	}
	return false
}
