package manifest

import (
	"errors"
	"fmt"
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
