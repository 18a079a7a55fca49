// The distributions' architecture names per platform, the pairs skipped, and the
// formats' and platforms' spellings.

package packaging

import (
	"slices"
	"strings"
	"testing"
)

// allPlatforms are the platforms the Makefile builds, in PLATFORMS order.
var allPlatforms = []string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/arm/v6", "linux/mipsle"}

// TestPlanArchitectures holds Plan to each distribution's architecture names, its skips
// and their reasons, and its order.
func TestPlanArchitectures(t *testing.T) {
	t.Parallel()
	// Each distribution's own names; opkg and apk compare the Architecture field exactly.
	want := map[Format]map[string][]string{
		Deb: {"linux/amd64": {"amd64"}, "linux/arm64": {"arm64"}, "linux/arm/v6": {"armhf"}, "linux/mipsle": {"mipsel"}},
		RPM: {"linux/amd64": {"x86_64"}, "linux/arm64": {"aarch64"}, "linux/arm/v7": {"armv7hl"}},
		APK: {"linux/amd64": {"x86_64"}, "linux/arm64": {"aarch64"}, "linux/arm/v7": {"armv7"}, "linux/arm/v6": {"armhf"}},
		IPK: {
			"linux/amd64":  {"x86_64"},
			"linux/arm64":  {"aarch64_generic", "aarch64_cortex-a53", "aarch64_cortex-a72"},
			"linux/arm/v7": {"arm_cortex-a7_neon-vfpv4"},
			"linux/arm/v6": {"arm_arm1176jzf-s_vfp"},
			"linux/mipsle": {"mipsel_24kc"},
		},
	}
	wantSkips := map[string]string{
		"deb linux/arm/v7": "Debian's armhf is built from linux/arm/v6",
		"rpm linux/arm/v6": "no RPM distribution ships an armv6hl",
		"rpm linux/mipsle": "no RPM distribution ships a mipsel",
		"apk linux/mipsle": "Alpine has no mipsel port",
	}
	targets, skips := Plan(allPlatforms, Formats)
	got := map[Format]map[string][]string{}
	for _, tg := range targets {
		if got[tg.Format] == nil {
			got[tg.Format] = map[string][]string{}
		}
		got[tg.Format][tg.Platform] = append(got[tg.Format][tg.Platform], tg.Arch)
	}
	for f, platforms := range want {
		for p, archs := range platforms {
			if !slices.Equal(got[f][p], archs) {
				t.Errorf("%s for %s: %q, want %q", f, p, got[f][p], archs)
			}
		}
		for p := range got[f] {
			if _, ok := platforms[p]; !ok {
				t.Errorf("%s for %s: %q, want none", f, p, got[f][p])
			}
		}
	}
	if len(skips) != len(wantSkips) {
		t.Errorf("skips %v; want %d", skips, len(wantSkips))
	}
	for _, s := range skips {
		w, ok := wantSkips[string(s.Format)+" "+s.Platform]
		if !ok || !strings.Contains(s.Reason, w) {
			t.Errorf("skip %q: want a reason with %q", s, w)
		}
		if got := s.String(); !strings.HasPrefix(got, "skip "+string(s.Format)+" for "+s.Platform+": ") || strings.Contains(got, "\n") {
			t.Errorf("skip line %q: want one line naming the format and platform", got)
		}
	}
	// Formats first, platforms in PLATFORMS order: the order packages are built and listed.
	for i := 1; i < len(targets); i++ {
		a, b := targets[i-1], targets[i]
		if slices.Index(Formats, a.Format) > slices.Index(Formats, b.Format) ||
			a.Format == b.Format && slices.Index(allPlatforms, a.Platform) > slices.Index(allPlatforms, b.Platform) {
			t.Errorf("targets out of order: %v before %v", a, b)
		}
	}
}

// TestPlanUnknownAndSubset plans an unknown platform (a skip per format), formats given out
// of order, and Debian's armhf without its ARMv6 binary.
func TestPlanUnknownAndSubset(t *testing.T) {
	t.Parallel()
	targets, skips := Plan([]string{"linux/riscv64", "linux/arm64"}, []Format{IPK, Deb})
	if len(targets) != 4 || targets[0] != (Target{Format: IPK, Arch: "aarch64_generic", Platform: "linux/arm64"}) || targets[3].Format != Deb {
		t.Errorf("targets %v; want the arm64 ipks, then the arm64 deb, in the formats' order as given", targets)
	}
	if len(skips) != 2 || !strings.Contains(skips[0].Reason, "no ipk architecture is known") || skips[1].Platform != "linux/riscv64" {
		t.Errorf("skips %v; want one per format for linux/riscv64", skips)
	}
	// Without linux/arm/v6 Debian's armhf has no binary: a skip, not the v7 binary.
	targets, skips = Plan([]string{"linux/arm/v7"}, []Format{Deb})
	if len(targets) != 0 || len(skips) != 1 {
		t.Errorf("deb for linux/arm/v7 alone: targets %v, skips %v; want one skip", targets, skips)
	}
}

// TestParseFormats reads PACKAGE_FORMATS in any order and spacing, and refuses an empty or
// unknown one.
func TestParseFormats(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"deb rpm apk ipk": "deb rpm apk ipk",
		"ipk deb":         "deb ipk",
		" rpm  rpm ":      "rpm",
		"apk\tdeb":        "deb apk",
	} {
		got, err := ParseFormats(in)
		if err != nil || joinFormats(got) != want {
			t.Errorf("ParseFormats(%q) = %v, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "  ", "deb msi", "DEB"} {
		if got, err := ParseFormats(bad); err == nil {
			t.Errorf("ParseFormats(%q) = %v; want an error", bad, got)
		}
	}
}

// TestPlatformName spells platforms as the binaries' file names do.
func TestPlatformName(t *testing.T) {
	t.Parallel()
	// As the Makefile's platform-name spells the binaries' suffixes.
	for in, want := range map[string]string{
		"linux/amd64": "linux-amd64", "linux/arm/v7": "linux-armv7", "linux/arm/v6": "linux-armv6",
		"linux/mipsle": "linux-mipsle", "linux/arm64": "linux-arm64",
	} {
		if got := PlatformName(in); got != want {
			t.Errorf("PlatformName(%q) = %q, want %q", in, got, want)
		}
	}
}
