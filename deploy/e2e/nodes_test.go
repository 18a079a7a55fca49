//go:build k8s

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// probeImage is the client image make k8s-up imports into every node (deploy/cluster/probe):
// it GETs one URL and exits 0 on a 200, 1 on another answer, 2 on none.
const probeImage = "localhost/getsmall-probe:1"

// readyNodes lists the nodes whose Ready condition is True, first node first.
func readyNodes(t *testing.T) []string {
	t.Helper()
	var nodes corev1.NodeList
	getJSON(t, &nodes, "nodes")
	var ready []string
	for _, n := range nodes.Items {
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue && !n.Spec.Unschedulable {
				ready = append(ready, n.Name)
			}
		}
	}
	slices.Sort(ready)
	return ready
}

// TestSpreadAndPodNetwork: the cluster has two nodes or more, Ready; prod's three replicas
// land on different nodes as its spread rules ask (no node more than one pod ahead of
// another); and from a client pod on each node, a getsmall pod on another node answers on
// its pod address (the pod network spans the nodes) and the Service answers by its name
// (cluster DNS), short and fully qualified.
func TestSpreadAndPodNetwork(t *testing.T) {
	nodes := readyNodes(t)
	t.Logf("nodes Ready: %s", strings.Join(nodes, ", "))
	if len(nodes) < 2 {
		t.Fatalf("%d node(s) Ready, want 2 or more: make k8s-up starts two", len(nodes))
	}
	ns := restrictedNamespace(t, "getsmall-e2e-nodes")
	apply(t, ns, render(t, "prod", env.plain, "", ""))
	pods := waitReady(t, ns, 3)
	perNode := map[string]int{}
	for _, n := range nodes {
		perNode[n] = 0
	}
	for _, p := range pods {
		perNode[p.Spec.NodeName]++
	}
	t.Logf("prod's replicas per node: %v", perNode)
	least, most := len(pods), 0
	for _, count := range perNode {
		least, most = min(least, count), max(most, count)
	}
	if most-least > 1 {
		t.Errorf("replicas per node %v: skew %d, the spread rule allows 1", perNode, most-least)
	}

	for _, n := range nodes {
		var target *corev1.Pod
		for i := range pods {
			if pods[i].Spec.NodeName != n {
				target = &pods[i]
				break
			}
		}
		if target == nil {
			t.Errorf("no getsmall pod outside %s to reach across nodes", n)
			continue
		}
		url := fmt.Sprintf("http://%s:8080/health", target.Status.PodIP)
		if code, out := runClient(t, ns, "across-"+n, n, url); code != 0 {
			t.Errorf("from %s to pod %s on %s (%s): exit %d: %s", n, target.Name, target.Spec.NodeName, url, code, out)
		} else {
			t.Logf("from %s to %s on %s: %s", n, url, target.Spec.NodeName, out)
		}
	}
	for i, url := range []string{
		"http://getsmall/health", // the Service's port 80, the search path's namespace
		"http://getsmall." + ns + ".svc.cluster.local/health",
	} {
		if code, out := runClient(t, ns, fmt.Sprintf("by-name-%d", i), nodes[i%len(nodes)], url); code != 0 {
			t.Errorf("%s by name: exit %d: %s", url, code, out)
		} else {
			t.Logf("%s by name: %s", url, out)
		}
	}
}

// runClient runs the probe image as a pod on node (pinned, past the scheduler), asking url
// until a 200 for up to 10 s, and returns its exit code and output. The pod passes Pod
// Security "restricted".
func runClient(t *testing.T, ns, name, node, url string) (int, string) {
	return runClientLabelled(t, ns, name, node, nil, "-for", "10s", url)
}

// runClientLabelled runs the probe with its arguments in a pod with labels (what a
// NetworkPolicy selects).
func runClientLabelled(t *testing.T, ns, name, node string, labels map[string]string, probeArgs ...string) (int, string) {
	t.Helper()
	no, yes, uid := false, true, int64(65532)
	pod := corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "client-" + name, Labels: labels},
		Spec: corev1.PodSpec{
			NodeName:                     node,
			RestartPolicy:                corev1.RestartPolicyNever,
			AutomountServiceAccountToken: &no,
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot: &yes, RunAsUser: &uid,
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name: "probe", Image: probeImage, ImagePullPolicy: corev1.PullNever, Args: probeArgs,
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes,
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
		},
	}
	b, err := json.Marshal(&pod)
	if err != nil {
		t.Fatal(err)
	}
	mustKubectl(t, b, "apply", "--server-side", "--field-manager=getsmall-e2e", "--namespace", ns, "-f", "-")
	defer func() { _, _ = kubectl(nil, "delete", "pod", pod.Name, "--namespace", ns, "--wait=false") }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var got corev1.Pod
		getJSON(t, &got, "pod", pod.Name, "--namespace", ns)
		if got.Status.Phase == corev1.PodSucceeded || got.Status.Phase == corev1.PodFailed {
			logs, _ := kubectl(nil, "logs", pod.Name, "--namespace", ns)
			for _, cs := range got.Status.ContainerStatuses {
				if cs.State.Terminated != nil {
					return int(cs.State.Terminated.ExitCode), strings.TrimSpace(logs)
				}
			}
			return -1, strings.TrimSpace(logs)
		}
		time.Sleep(300 * time.Millisecond)
	}
	events, _ := kubectl(nil, "get", "events", "--namespace", ns, "--field-selector", "involvedObject.name="+pod.Name)
	t.Fatalf("client pod %s on %s did not finish in 60 s:\n%s", pod.Name, node, events)
	return -1, ""
}

// clusterCommand runs the cluster tool make test-k8s names in K8S_CLUSTER (its path and
// flags) with a subcommand, as stop-node and start-node need root and the state directory.
func clusterCommand(t *testing.T, args ...string) string {
	t.Helper()
	base := strings.Fields(os.Getenv("K8S_CLUSTER"))
	if len(base) == 0 {
		t.Fatal("K8S_CLUSTER is not set: run make test-k8s")
	}
	// The subcommand comes first, then the tool's flags, then the test's.
	full := append([]string{args[0]}, base[1:]...)
	full = append(full, args[1:]...)
	out, err := exec.Command(base[0], full...).CombinedOutput() //nolint:gosec // the tool make names
	if err != nil {
		t.Fatalf("cluster %s: %v\n%s", strings.Join(full, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
