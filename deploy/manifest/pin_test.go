package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	dir := t.TempDir()
	if prod, err = filepath.Rel(dir, prod); err != nil {
		t.Fatal(err)
	}
	pin := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - " + prod + "\nimages:\n" +
		"  - name: getsmall\n    newName: registry.example.com/team/getsmall\n    digest: sha256:" + strings.Repeat("ab", 32) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(pin), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Render(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := RequireDigest(s, "pinned"); err != nil {
		t.Errorf("prod with a digest: %v", err)
	}
}
