package manifest

import (
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// TestProdRequiresDigest holds prod to an image pinned by digest: as committed (the zero
// digest) it is refused with a message that says where to set it, and an overlay of it that
// sets a real digest passes. dev may run a tag.
func TestProdRequiresDigest(t *testing.T) {
	t.Parallel()
	err := RequireDigest(render(t, "prod"), "deploy/overlays/prod")
	if err == nil || !strings.Contains(err.Error(), "deploy/overlays/prod/kustomization.yaml") || !strings.Contains(err.Error(), "make docker-push") {
		t.Errorf("prod as committed: %v, want a refusal saying where and how to set the digest", err)
	}
	if err := RequireDigest(render(t, "dev"), "dev"); err == nil {
		t.Error("dev runs a tag: RequireDigest should refuse it")
	}
	prod, err := filepath.Abs(filepath.Join("..", "overlays", "prod"))
	if err != nil {
		t.Fatal(err)
	}
	image := "registry.example.com/team/getsmall@sha256:" + strings.Repeat("ab", 32)
	s, err := RenderPinned(prod, image)
	if err != nil {
		t.Fatal(err)
	}
	if err := RequireDigest(s, "pinned"); err != nil {
		t.Errorf("prod with a digest: %v", err)
	}
	if got := s.Deployment.Spec.Template.Spec.Containers[0].Image; got != image {
		t.Errorf("pinned prod runs %q, want %q", got, image)
	}
}

// TestRenderPinnedPatchesAndRefuses: the patches given apply on top of the overlay, and an
// image without a digest is refused before anything is rendered.
func TestRenderPinnedPatchesAndRefuses(t *testing.T) {
	t.Parallel()
	prod, err := filepath.Abs(filepath.Join("..", "overlays", "prod"))
	if err != nil {
		t.Fatal(err)
	}
	patch := "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: getsmall\nspec:\n  maxReplicas: 4\n"
	s, err := RenderPinned(prod, "example.com/getsmall@sha256:"+strings.Repeat("cd", 32), patch)
	if err != nil {
		t.Fatal(err)
	}
	if s.HPA == nil || s.HPA.Spec.MaxReplicas != 4 {
		t.Errorf("the patch did not apply: %+v", s.HPA)
	}
	for _, bad := range []string{"getsmall:dev", "getsmall@sha256:abc", ""} {
		if _, err := RenderPinned(prod, bad); err == nil {
			t.Errorf("RenderPinned(%q) rendered, want a refusal", bad)
		}
	}
}

// TestRestrictedNamespace decodes the namespace strictly and checks it enforces
// "restricted".
func TestRestrictedNamespace(t *testing.T) {
	t.Parallel()
	var ns corev1.Namespace
	if err := yaml.UnmarshalStrict(RestrictedNamespace("getsmall-dev"), &ns); err != nil {
		t.Fatal(err)
	}
	if ns.Kind != "Namespace" || ns.Name != "getsmall-dev" || ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("namespace %+v", ns)
	}
}
