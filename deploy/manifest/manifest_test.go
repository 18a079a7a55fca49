package manifest

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// imageUser reads the numeric USER of the final stage of every Dockerfile in the
// repository: the manifests must run the images as the user they were built for.
func imageUser(t *testing.T) (uid, gid int64) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "Dockerfile*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Dockerfile found (%v)", err)
	}
	user := regexp.MustCompile(`(?m)^USER\s+(\d+):(\d+)\s*$`)
	seen := ""
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := user.FindAllStringSubmatch(string(b), -1)
		if len(m) == 0 {
			t.Fatalf("%s: no numeric USER uid:gid", f)
		}
		last := m[len(m)-1]
		if seen != "" && seen != last[1]+":"+last[2] {
			t.Fatalf("%s runs as %s:%s, another Dockerfile as %s", f, last[1], last[2], seen)
		}
		seen = last[1] + ":" + last[2]
		uid, _ = strconv.ParseInt(last[1], 10, 64)
		gid, _ = strconv.ParseInt(last[2], 10, 64)
	}
	return uid, gid
}

// runsUPX reports whether the overlay names the UPX image: its tag ends in -upx, as
// make docker-build-upx tags it.
func runsUPX(s *Set) bool {
	return strings.HasSuffix(s.Deployment.Spec.Template.Spec.Containers[0].Image, "-upx")
}

func render(t *testing.T, overlay string) *Set {
	t.Helper()
	s, err := Render(filepath.Join("..", "overlays", overlay))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOverlaysPassEveryCheck(t *testing.T) {
	t.Parallel()
	uid, gid := imageUser(t)
	for _, overlay := range []string{"dev", "prod", "edge"} {
		t.Run(overlay, func(t *testing.T) {
			t.Parallel()
			s := render(t, overlay)
			if err := Check(s, uid, gid, runsUPX(s)); err != nil {
				t.Errorf("deploy/overlays/%s:\n%v", overlay, err)
			}
		})
	}
}

func TestOverlaysAreWhatTheySay(t *testing.T) {
	t.Parallel()
	dev, prod, edge := render(t, "dev"), render(t, "prod"), render(t, "edge")
	image := func(s *Set) string { return s.Deployment.Spec.Template.Spec.Containers[0].Image }
	requests := func(s *Set, r corev1.ResourceName) resource.Quantity {
		return s.Deployment.Spec.Template.Spec.Containers[0].Resources.Requests[r]
	}

	for name, s := range map[string]*Set{"dev": dev, "edge": edge} {
		if r := s.Deployment.Spec.Replicas; r == nil || *r != 1 {
			t.Errorf("%s: replicas %v, want 1", name, r)
		}
		if s.HPA != nil || s.PDB != nil {
			t.Errorf("%s: want no autoscaler and no disruption budget with one replica", name)
		}
	}
	if strings.HasSuffix(image(dev), "-upx") || strings.HasSuffix(image(prod), "-upx") || !strings.HasSuffix(image(edge), "-upx") {
		t.Errorf("images dev %s, prod %s, edge %s: want the UPX image on edge only", image(dev), image(prod), image(edge))
	}
	// Memory depends on the image (TestOverlayMemory); CPU on the device.
	if e, d := requests(edge, corev1.ResourceCPU), requests(dev, corev1.ResourceCPU); e.Cmp(d) > 0 {
		t.Errorf("edge requests %s of CPU, more than dev's %s", e.String(), d.String())
	}

	if prod.HPA == nil || prod.HPA.Spec.MinReplicas == nil || *prod.HPA.Spec.MinReplicas != 3 {
		t.Errorf("prod: want an autoscaler with minReplicas 3")
	}
	if prod.PDB == nil {
		t.Errorf("prod: want a disruption budget")
	}
	keys := map[string]bool{}
	for _, c := range prod.Deployment.Spec.Template.Spec.TopologySpreadConstraints {
		keys[c.TopologyKey] = true
	}
	if !keys["kubernetes.io/hostname"] || !keys["topology.kubernetes.io/zone"] {
		t.Errorf("prod: spread over %v, want nodes and zones", keys)
	}
	c := prod.Deployment.Spec.Template.Spec.Containers[0]
	if req, limit := c.Resources.Requests[corev1.ResourceMemory], c.Resources.Limits[corev1.ResourceMemory]; req.Cmp(limit) != 0 {
		t.Errorf("prod: memory request %s, limit %s: want them equal", req.String(), limit.String())
	}
}

// TestBaseRenders renders the base alone: strict decoding passes, and it carries the
// image placeholder that only an overlay may resolve.
func TestBaseRenders(t *testing.T) {
	t.Parallel()
	s := render(t, filepath.Join("..", "base"))
	if s.HPA == nil || s.PDB == nil {
		t.Error("the base should hold the autoscaler and the disruption budget")
	}
	if err := checkImage(s); err == nil {
		t.Error("the base's image has a tag: overlays are where it is chosen")
	}
}

// inMemory renders the given files as a kustomization in an in-memory file system.
func inMemory(t *testing.T, files map[string]string) (*Set, error) {
	t.Helper()
	fs := filesys.MakeFsInMemory()
	for name, content := range files {
		if err := fs.WriteFile(filepath.Join("/k", name), []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	return RenderFS(fs, "/k")
}

const minimal = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: getsmall
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: getsmall
spec:
  selector:
    matchLabels: {app: x}
  template:
    metadata:
      labels: {app: x}
    spec:
      containers:
        - name: getsmall
          image: getsmall:1
---
apiVersion: v1
kind: Service
metadata:
  name: getsmall
spec:
  ports:
    - port: 80
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: getsmall
spec:
  podSelector: {}
`

func TestRenderIsStrict(t *testing.T) {
	t.Parallel()
	kustomization := "resources: [all.yaml]\n"
	if _, err := inMemory(t, map[string]string{"kustomization.yaml": kustomization, "all.yaml": minimal}); err != nil {
		t.Fatalf("the minimal set does not render: %v", err)
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown field", strings.Replace(minimal, "  selector:", "  replica: 3\n  selector:", 1), "unknown field"},
		{"duplicate field", strings.Replace(minimal, "          image: getsmall:1", "          image: getsmall:1\n          image: getsmall:2", 1), "image"},
		{"unexpected kind", minimal + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n", "unexpected kind"},
		{"second deployment", minimal + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: other\nspec:\n  selector:\n    matchLabels: {app: y}\n  template:\n    metadata:\n      labels: {app: y}\n    spec:\n      containers: [{name: c, image: i:1}]\n", "second object"},
		{"missing service", withoutDoc(minimal, 2), "want a Deployment, a Service"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := inMemory(t, map[string]string{"kustomization.yaml": kustomization, "all.yaml": tc.yaml})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// withoutDoc drops the i-th document of a YAML stream.
func withoutDoc(stream string, i int) string {
	docs := strings.Split(stream, "---\n")
	return strings.Join(append(docs[:i:i], docs[i+1:]...), "---\n")
}
