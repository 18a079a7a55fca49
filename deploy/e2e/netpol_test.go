//go:build k8s

package e2e

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// guardedNode is the node whose pods the test cluster's NetworkPolicy enforcer (kube-router's
// firewall, one per host: deploy/cluster/README.md says why) guards.
const guardedNode = "getsmall-node"

// TestNetworkPolicyEnforced proves policy is enforced, not only written: dev with its
// NetworkPolicy narrowed to clients labelled role=client (a test overlay), on the node the
// enforcer guards. A client with the label gets a 200; one without gets no answer, from
// the same node and from the other. And egress: a pod the base policy selects (app
// getsmall, no egress allowed) cannot reach CoreDNS's health port, which an unselected
// pod reaches.
func TestNetworkPolicyEnforced(t *testing.T) {
	nodes := readyNodes(t)
	if len(nodes) < 2 || nodes[0] != guardedNode {
		t.Fatalf("nodes %v: want %s and another", nodes, guardedNode)
	}
	ns := restrictedNamespace(t, "getsmall-e2e-policy")
	onGuarded := deploymentPatch(onNode(guardedNode), "")
	clientsOnly := `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: getsmall
spec:
  ingress:
    - from:
        - podSelector:
            matchLabels:
              role: client
      ports:
        - port: http
          protocol: TCP
`
	apply(t, ns, render(t, "dev", env.plain, "", "", onGuarded, clientsOnly))
	pod := waitReady(t, ns, 1)[0]
	url := fmt.Sprintf("http://%s:8080/health", pod.Status.PodIP)
	var dns corev1.PodList
	getJSON(t, &dns, "pods", "--namespace", "kube-system", "--selector", "k8s-app=kube-dns")
	if len(dns.Items) == 0 || dns.Items[0].Status.PodIP == "" {
		t.Fatal("no CoreDNS pod to reach")
	}
	outside := fmt.Sprintf("http://%s:8080/health", dns.Items[0].Status.PodIP)

	for _, tc := range []struct {
		name   string
		node   string
		labels map[string]string
		url    string
		want   int // the probe's exit: 0 a 200, 2 no answer
	}{
		{"allowed", guardedNode, map[string]string{"role": "client"}, url, 0},
		{"unlabelled", guardedNode, nil, url, 2},
		{"unlabelled-other-node", nodes[1], nil, url, 2},
		{"egress-unselected", guardedNode, nil, outside, 0},
		{"egress-denied", guardedNode, map[string]string{"app.kubernetes.io/name": "getsmall"}, outside, 2},
	} {
		// The enforcer learns of a new pod in a moment: an allowed client keeps trying
		// until it is let in (20 s at most); a refused one first gives it 5 s to see the
		// pod, then must get no 200 in 3 s of trying.
		args := []string{"-for", "20s", tc.url}
		if tc.want != 0 {
			args = []string{"-wait", "5s", "-for", "3s", tc.url}
		}
		code, out := runClientLabelled(t, ns, "policy-"+tc.name, tc.node, tc.labels, args...)
		t.Logf("%s (labels %v, on %s, to %s): exit %d: %s", tc.name, tc.labels, tc.node, tc.url, code, out)
		if code != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, code, tc.want)
		}
	}
}
