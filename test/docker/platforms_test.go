//go:build docker

package docker

import (
	"os"
	"testing"
)

// checkPlatforms checks every per-platform image of one variant: its config names its
// platform, it runs as 65532, it holds exactly the bytes of the matching host build (make
// build-all or build-upx-all) and, like the images of the other platforms, nothing else that
// differs: sizes minus the binary are equal across platforms. The tag without a platform is
// the host platform's image.
func checkPlatforms(t *testing.T, img image, tag, host, binDir string) {
	t.Helper()
	var hostID string
	inspectID := func(ref string) string {
		var ii imageInfo
		inspect(t, ref, &ii)
		return ii.ID
	}
	extras := map[string]int64{} // platform -> image bytes that are not the binary
	for _, p := range platforms(t) {
		ref := tag + "-" + p.suffix
		var ii imageInfo
		inspect(t, ref, &ii)
		wantOS, wantArch, wantVariant := p.parts()
		if ii.Os != wantOS || ii.Architecture != wantArch || ii.Variant != wantVariant {
			t.Errorf("%s: config says %s/%s/%s, want %s", ref, ii.Os, ii.Architecture, ii.Variant, p.name)
		}
		if ii.Config.User != "65532:65532" {
			t.Errorf("%s: user %q, want 65532:65532", ref, ii.Config.User)
		}
		bin := hostBinary(t, binDir, img, p)
		checkSameBinary(t, ref, p.name, bin)
		fi, err := os.Stat(bin)
		if err != nil {
			t.Fatal(err)
		}
		extras[p.name] = ii.Size - fi.Size()
		t.Logf("%s: %s, %d bytes: binary %d + %d", ref, p.name, ii.Size, fi.Size(), extras[p.name])
		if p.name == host {
			hostID = ii.ID
		}
	}
	if hostID != "" && inspectID(tag) != hostID {
		t.Errorf("%s is not the %s image %s", tag, host, hostID)
	}
	for p, extra := range extras {
		if extra != extras[host] && hostID != "" {
			t.Errorf("%s image of %s carries %d bytes besides the binary, the %s one %d: platforms must differ only in the binary",
				p, tag, extra, host, extras[host])
		}
	}
}
