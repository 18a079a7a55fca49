//go:build k8s

package e2e

import (
	"encoding/json"
	"io"
	"net/http"
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
// rolls out, that every pod is ready and runs the pushed image, that /health answers 200
// through the Service, and that admission refuses an unhardened pod there.
func TestOverlays(t *testing.T) {
	for _, tc := range []struct {
		overlay string
		image   *string
		pods    int32
	}{
		{"dev", &env.plain, 1},
		{"edge", &env.upx, 1},
		{"prod", &env.plain, 3}, // the autoscaler's minimum: it scales the Deployment up
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
			checkHealthThroughService(t, ns)
			checkAdmission(t, ns, set)
			if tc.overlay == "prod" {
				logAutoscalerAndBudget(t, ns)
			}
		})
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
