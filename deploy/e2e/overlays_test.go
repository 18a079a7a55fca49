//go:build k8s

package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/deploy/manifest"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestOverlays applies each overlay into its own restricted namespace and checks that it
// rolls out, that every pod is ready and runs the pushed image for this node's platform,
// that the server derived from its memory limit what the manifest checks expect, that
// /health answers 200 through the Service, and that admission refuses an unhardened pod
// there.
func TestOverlays(t *testing.T) {
	for _, tc := range []struct {
		overlay string
		image   *string
		upx     bool
		pods    int32
	}{
		{"dev", &env.plain, false, 1},
		{"edge", &env.upx, true, 1},
		{"prod", &env.plain, false, 3}, // the autoscaler's minimum: it scales the Deployment up
	} {
		t.Run(tc.overlay, func(t *testing.T) {
			t.Parallel()
			ns := restrictedNamespace(t, "getsmall-e2e-"+tc.overlay)
			set := render(t, tc.overlay, *tc.image, "", "")
			start := time.Now()
			apply(t, ns, set)
			pods := waitReady(t, ns, tc.pods)
			t.Logf("%s: %d pods ready %.1f s after apply", tc.overlay, len(pods), time.Since(start).Seconds())
			_, digest, _ := strings.Cut(*tc.image, "@")
			for _, p := range pods {
				for _, cs := range p.Status.ContainerStatuses {
					if !strings.Contains(cs.ImageID, digest) {
						t.Errorf("pod %s runs %s (%s), want %s", p.Name, cs.Image, cs.ImageID, digest)
					}
					if cs.RestartCount != 0 {
						t.Errorf("pod %s: container restarted %d times", p.Name, cs.RestartCount)
					}
				}
			}
			checkPlatform(t, ns, pods[0].Name)
			checkDerivedMemory(t, ns, pods, set, tc.upx)
			checkHealthThroughService(t, ns)
			checkAdmission(t, ns, set)
			if tc.overlay == "prod" {
				logAutoscalerAndBudget(t, ns)
			}
		})
	}
}

// checkPlatform runs the image's own `getsmall version` in the pod: containerd picked
// the image for this node's platform out of the pushed index (the binary reports the
// platform it was built for, which an emulated foreign binary would too), and it is the
// build under test.
func checkPlatform(t *testing.T, ns, pod string) {
	t.Helper()
	out := mustKubectl(t, nil, "exec", pod, "--namespace", ns, "--", "/getsmall", "version")
	platform := runtime.GOOS + "/" + runtime.GOARCH
	if !strings.Contains(out, " "+platform+"\n") || !strings.HasPrefix(out, "getsmall "+env.version+"\n") {
		t.Errorf("pod %s: getsmall version says\n%s\nwant version %s built for %s", pod, out, env.version, platform)
	}
}

// startLine is the server's start-up line's memory part.
var startLine = regexp.MustCompile(`memory limit ([0-9.]+) MiB, ([0-9.]+) MiB in use: max-conns (\d+)( \(set\))?, (\d+) in a request at once, GOMEMLIMIT ([0-9.]+) MiB`)

// checkDerivedMemory reads each pod's start-up line: the server found the container's
// memory limit, derived its cap without a warning, and the cap is at least what the
// manifest checks computed (their model is cgroup v2's, which charges each connection's
// socket buffers; a cgroup v1 node fits more).
func checkDerivedMemory(t *testing.T, ns string, pods []corev1.Pod, set *manifest.Set, upx bool) {
	t.Helper()
	c, err := set.Container(manifest.ContainerName)
	if err != nil {
		t.Fatal(err)
	}
	want, err := manifest.MemoryOf(c, upx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods {
		log := mustKubectl(t, nil, "logs", p.Name, "--namespace", ns)
		if strings.Contains(log, "warning") {
			t.Errorf("pod %s warned at start:\n%s", p.Name, log)
		}
		m := startLine.FindStringSubmatch(log)
		if m == nil {
			t.Errorf("pod %s: no start-up line with a memory limit:\n%s", p.Name, log)
			continue
		}
		limit, _ := strconv.ParseFloat(m[1], 64)
		conns, _ := strconv.Atoi(m[3])
		busy, _ := strconv.Atoi(m[5])
		t.Logf("pod %s: %s", p.Name, m[0])
		if int64(limit*(1<<20)+0.5)>>10 != want.Limit>>10 || m[4] != "" || conns < want.Conns || busy < want.Budget.MaxBusy {
			t.Errorf("pod %s derived %q; want the limit %d MiB and at least the %d connections, %d in a request, the manifest checks expect",
				p.Name, m[0], want.Limit>>20, want.Conns, want.Budget.MaxBusy)
		}
	}
}

// checkHealthThroughService gets /health through the Service's cluster IP. kube-proxy
// programs the rules within a second or two of the endpoints changing.
func checkHealthThroughService(t *testing.T, ns string) {
	t.Helper()
	url := serviceURL(t, ns)
	client := &http.Client{Timeout: 2 * time.Second}
	var last string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err := client.Get(url)
		if err != nil {
			last = err.Error()
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusOK && string(body) == `{"status":"ok"}` {
			t.Logf("GET %s: 200 %s", url, body)
			return
		}
		last = resp.Status + " " + string(body)
	}
	t.Fatalf("GET %s through the Service: %s", url, last)
}

// checkAdmission proves Pod Security is enforced in the namespace: the overlay's own pod
// is admitted (server-side dry run), the same pod without its security settings is not.
func checkAdmission(t *testing.T, ns string, set *manifest.Set) {
	t.Helper()
	hardened := podFrom(t, set, "getsmall-hardened")
	if out, err := kubectl(hardened, "create", "--dry-run=server", "--namespace", ns, "-f", "-"); err != nil {
		t.Fatalf("the overlay's own pod was refused: %v %s", err, out)
	}
	var pod corev1.Pod
	if err := json.Unmarshal(podFrom(t, set, "getsmall-unhardened"), &pod); err != nil {
		t.Fatal(err)
	}
	pod.Spec.SecurityContext = nil
	for i := range pod.Spec.Containers {
		pod.Spec.Containers[i].SecurityContext = nil
	}
	unhardened, err := json.Marshal(&pod)
	if err != nil {
		t.Fatal(err)
	}
	_, err = kubectl(unhardened, "create", "--dry-run=server", "--namespace", ns, "-f", "-")
	if err == nil || !strings.Contains(err.Error(), `violates PodSecurity "restricted:latest"`) {
		t.Fatalf("an unhardened pod was not refused by Pod Security: %v", err)
	}
	_, reason, _ := strings.Cut(err.Error(), "violates ")
	t.Logf("unhardened pod refused: violates %s", reason)
}

// podFrom makes a Pod of the Deployment's pod template, as JSON.
func podFrom(t *testing.T, set *manifest.Set, name string) []byte {
	t.Helper()
	tmpl := set.Deployment.Spec.Template
	pod := corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"test": "admission"}},
		Spec:       *tmpl.Spec.DeepCopy(),
	}
	b, err := json.Marshal(&pod)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// logAutoscalerAndBudget records what the autoscaler and the disruption budget report on
// a cluster without a metrics API, and checks the budget allows one eviction.
func logAutoscalerAndBudget(t *testing.T, ns string) {
	t.Helper()
	var pdb policyv1.PodDisruptionBudget
	getJSON(t, &pdb, "poddisruptionbudget", "getsmall", "--namespace", ns)
	if pdb.Status.CurrentHealthy != 3 || pdb.Status.DisruptionsAllowed != 1 {
		t.Errorf("disruption budget: %d healthy, %d disruptions allowed; want 3 and 1", pdb.Status.CurrentHealthy, pdb.Status.DisruptionsAllowed)
	}
	var hpa autoscalingv2.HorizontalPodAutoscaler
	getJSON(t, &hpa, "horizontalpodautoscaler", "getsmall", "--namespace", ns)
	for _, c := range hpa.Status.Conditions {
		t.Logf("autoscaler %s=%s (%s): %s", c.Type, c.Status, c.Reason, c.Message)
	}
	if hpa.Status.DesiredReplicas < 3 {
		t.Errorf("autoscaler wants %d replicas, below its minimum 3", hpa.Status.DesiredReplicas)
	}
}
