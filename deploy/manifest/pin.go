package manifest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// pinned is an image named by its content: NAME@sha256:<64 hex digits>.
var pinned = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

// RequireDigest refuses an overlay whose containers run an image by tag, or by the zero
// digest the prod overlay is committed with: production runs exactly the image that was
// tested and signed, and a tag can be moved to another. overlay names the directory, for
// the message that says how to set it.
func RequireDigest(s *Set, overlay string) error {
	var errs []error
	for _, c := range s.Deployment.Spec.Template.Spec.Containers {
		if pinned.MatchString(c.Image) && !strings.HasSuffix(c.Image, strings.Repeat("0", 64)) {
			continue
		}
		errs = append(errs, fmt.Errorf("%s: container %s runs %q, not an image pinned by digest: "+
			"set newName and digest in the images: entry of %s/kustomization.yaml to the REGISTRY/NAME@sha256:... that "+
			"make docker-push printed (crane digest REGISTRY/NAME:TAG tells it for an image pushed before)",
			overlay, c.Name, c.Image, overlay))
	}
	return errors.Join(errs...)
}

// RenderPinned renders overlayDir with its getsmall image set to image (NAME@sha256:...)
// and the strategic merge patches given, through a kustomization of its own on top, the
// way a user's deployment repository would: the overlay itself is not changed.
func RenderPinned(overlayDir, image string, patches ...string) (*Set, error) {
	name, digest, ok := strings.Cut(image, "@")
	if !ok || !pinned.MatchString(image) {
		return nil, fmt.Errorf("image %q is not NAME@sha256:<digest>", image)
	}
	dir, err := os.MkdirTemp("", "getsmall-pinned-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	// kustomize takes only relative paths to other kustomizations.
	base, err := filepath.Rel(dir, overlayDir)
	if err != nil {
		return nil, err
	}
	var k strings.Builder
	fmt.Fprintf(&k, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - %s\n"+
		"images:\n  - name: getsmall\n    newName: %s\n    digest: %s\n", base, name, digest)
	if len(patches) > 0 {
		k.WriteString("patches:\n")
	}
	for i, p := range patches {
		file := fmt.Sprintf("patch-%d.yaml", i)
		fmt.Fprintf(&k, "  - path: %s\n", file)
		if err := os.WriteFile(filepath.Join(dir, file), []byte(p), 0o600); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k.String()), 0o600); err != nil {
		return nil, err
	}
	return Render(dir)
}
