//go:build k8s

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/deploy/manifest"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// kubectl runs the cluster's kubectl with stdin and returns its stdout, or the error with
// its stderr.
func kubectl(stdin []byte, args ...string) (string, error) {
	cmd := exec.Command(env.kubectl, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+env.kubeconfig)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

func mustKubectl(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	out, err := kubectl(stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// getJSON decodes `kubectl get -o json` into v.
func getJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out := mustKubectl(t, nil, append([]string{"get", "-o", "json"}, args...)...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("kubectl get %v: %v", args, err)
	}
}

// restrictedNamespace makes a fresh namespace that enforces Pod Security "restricted"
// and deletes it when the test ends.
func restrictedNamespace(t *testing.T, name string) string {
	t.Helper()
	if _, err := kubectl(nil, "get", "namespace", name); err == nil {
		mustKubectl(t, nil, "delete", "namespace", name, "--wait=true", "--timeout=120s")
	}
	mustKubectl(t, manifest.RestrictedNamespace(name), "apply", "--server-side", "--field-manager=getsmall-e2e", "-f", "-")
	t.Cleanup(func() {
		if _, err := kubectl(nil, "delete", "namespace", name, "--wait=false"); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	return name
}

// render builds overlay with the pushed image (by digest), SHUTDOWN_DELAY set to delay
// and the preStop sleep to preStop seconds ("0" removes the hook) when they are not
// empty, and any further strategic merge patches (manifest.RenderPinned).
func render(t *testing.T, overlay, image, delay, preStop string, patches ...string) *manifest.Set {
	t.Helper()
	if delay != "" || preStop != "" {
		var container string
		if delay != "" {
			container += envLine("SHUTDOWN_DELAY", delay)
		}
		switch preStop {
		case "":
		case "0":
			container += "          lifecycle: null\n" // a strategic merge patch's null deletes
		default:
			container += fmt.Sprintf("          lifecycle:\n            preStop:\n              sleep:\n                seconds: %s\n", preStop)
		}
		patches = append(patches, deploymentPatch("", container))
	}
	set, err := manifest.RenderPinned(filepath.Join(env.root, "deploy", "overlays", overlay), image, patches...)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// deploymentPatch is a strategic merge patch of the Deployment's pod template: podSpec
// and container are YAML lines of the pod's spec and of the getsmall container, indented
// for them (onNode and envLine make such lines).
func deploymentPatch(podSpec, container string) string {
	patch := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: getsmall\nspec:\n  template:\n    spec:\n" + podSpec
	if container != "" {
		patch += "      containers:\n        - name: getsmall\n" + container
	}
	return patch
}

// onNode pins the pod to node: the pod spec's lines for deploymentPatch.
func onNode(node string) string {
	return "      nodeSelector:\n        kubernetes.io/hostname: " + node + "\n"
}

// envLine sets one variable of the container: the container's lines for deploymentPatch.
func envLine(name, value string) string {
	return fmt.Sprintf("          env:\n            - name: %s\n              value: %q\n", name, value)
}

// apply sends the rendered objects to the API server with server-side apply.
func apply(t *testing.T, ns string, set *manifest.Set) {
	t.Helper()
	mustKubectl(t, set.YAML, "apply", "--server-side", "--field-manager=getsmall-e2e", "--namespace", ns, "-f", "-")
}

// waitReady waits (up to 3 minutes) until the Deployment has rolled out want replicas, all ready and
// updated, and no other pod of it is left (terminating pods of an old revision included).
func waitReady(t *testing.T, ns string, want int32) []corev1.Pod {
	t.Helper()
	const timeout = 3 * time.Minute
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		var d appsv1.Deployment
		getJSON(t, &d, "deployment", "getsmall", "--namespace", ns)
		var pods corev1.PodList
		getJSON(t, &pods, "pods", "--namespace", ns, "--selector", "app.kubernetes.io/name=getsmall")
		s := d.Status
		ready := 0
		for _, p := range pods.Items {
			if p.DeletionTimestamp == nil && podReady(&p) {
				ready++
			}
		}
		last = fmt.Sprintf("generation %d/%d, replicas %d, updated %d, ready %d, available %d; pods %d (%d ready)",
			s.ObservedGeneration, d.Generation, s.Replicas, s.UpdatedReplicas, s.ReadyReplicas, s.AvailableReplicas, len(pods.Items), ready)
		if s.ObservedGeneration >= d.Generation && s.Replicas == want && s.UpdatedReplicas == want &&
			s.AvailableReplicas == want && len(pods.Items) == int(want) && ready == int(want) {
			return pods.Items
		}
		time.Sleep(500 * time.Millisecond)
	}
	events, _ := kubectl(nil, "get", "events", "--namespace", ns, "--sort-by=.lastTimestamp")
	t.Fatalf("deployment not rolled out to %d ready pods in %v: %s\nevents:\n%s", want, timeout, last, events)
	return nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// serviceURL is the Service's /health through its cluster IP, which kube-proxy routes.
func serviceURL(t *testing.T, ns string) string {
	t.Helper()
	var svc corev1.Service
	getJSON(t, &svc, "service", "getsmall", "--namespace", ns)
	if svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == "None" {
		t.Fatalf("service has no cluster IP: %+v", svc.Spec)
	}
	return fmt.Sprintf("http://%s:%d/health", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port)
}

// drainOf is the rendered pod's way out: preStop sleep, SHUTDOWN_DELAY and the rest.
func drainOf(t *testing.T, set *manifest.Set) manifest.Drain {
	t.Helper()
	d, err := manifest.DrainOf(set)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := set.Container(manifest.ContainerName); c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep == nil {
		t.Fatalf("preStop hook other than a sleep: %+v", c.Lifecycle.PreStop)
	}
	return d
}
