// Package packaging turns the product's static binaries into OS packages: a .deb, an .rpm,
// an .apk and an .ipk per platform, and an apk-tools 3 .apk for OpenWrt 25.12, each with
// its init system's files (systemd units, an OpenRC script, a procd script), and the signed
// repositories apk installs them from. It decides the distributions' architecture names,
// the package versions and the files; nfpm writes the first four archives, apk-tools'
// mkpkg the fifth, and apk-tools' index and mkndx the repositories' indexes.
package packaging

import (
	"fmt"
	"slices"
	"strings"
)

// Format is a package format, named by its file extension and nfpm's packager name.
type Format string

// The formats, in the order they are built and listed.
const (
	Deb Format = "deb" // Debian, Ubuntu, Raspberry Pi OS
	RPM Format = "rpm" // Fedora, RHEL and its rebuilds, openSUSE
	APK Format = "apk" // Alpine (apk-tools 2 format)
	IPK Format = "ipk" // OpenWrt up to 24.10 (opkg)
	// APK3 is OpenWrt 25.12 and later (apk-tools 3 format, ADB). Its files end in .apk too:
	// the name of the format is not its extension.
	APK3 Format = "apk3"
)

// Formats lists every format in build order: apk-tools builds the last one.
var Formats = []Format{Deb, RPM, APK, IPK, APK3}

// ParseFormats reads a space-separated list such as "deb rpm", in build order.
func ParseFormats(s string) ([]Format, error) {
	var out []Format
	for w := range strings.FieldsSeq(s) {
		f := Format(w)
		if !slices.Contains(Formats, f) {
			return nil, fmt.Errorf("unknown package format %q: want some of %s", w, joinFormats(Formats))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no package format: want some of %s", joinFormats(Formats))
	}
	slices.SortFunc(out, func(a, b Format) int { return slices.Index(Formats, a) - slices.Index(Formats, b) })
	return out, nil
}

// joinFormats spells formats as the -formats flag and PACKAGE_FORMATS take them.
func joinFormats(fs []Format) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, " ")
}

// Target is one package to build: a format, the distribution's name for the architecture,
// and the Go platform (os/arch[/variant], as PLATFORMS spells it) whose binary it carries.
type Target struct {
	Format   Format
	Arch     string
	Platform string
}

// Skip is a format and platform pair that gets no package, and why.
type Skip struct {
	Format   Format
	Platform string
	Reason   string
}

// String is the line a run says for the skipped pair.
func (s Skip) String() string {
	return fmt.Sprintf("skip %s for %s: %s", s.Format, s.Platform, s.Reason)
}

// archEntry is one row of the table: for a format, the architectures a platform's binary
// is packaged as, or why it has none.
type archEntry struct {
	archs []string
	why   string // when archs is empty
}

// archTable holds each distribution's own architecture names. opkg and apk match the
// Architecture field exactly, so a name must be the one the distribution uses, not an alias.
//
//   - Debian: amd64, arm64, armhf, mipsel. Debian's armhf is ARMv7 with VFPv3-D16, but
//     Raspberry Pi OS's armhf is ARMv6 with VFPv2: the linux/arm/v6 binary runs on both, so it
//     is the one armhf gets. mipsel is in bookworm (trixie dropped it).
//   - RPM: x86_64, aarch64, armv7hl (openSUSE and older Fedora); no RPM distribution ships
//     armv6hl or mipsel.
//   - Alpine: x86_64, aarch64, armv7, and armhf, which Alpine defines as ARMv6 with VFP
//     (Raspberry Pi Zero and 1); no mips port.
//   - OpenWrt: <cpu>_<subtarget>: x86_64; aarch64_generic (armsr, rockchip, layerscape),
//     aarch64_cortex-a53 (mediatek filogic, bcm2710: Raspberry Pi 3, mvebu cortexa53),
//     aarch64_cortex-a72 (bcm2711: Raspberry Pi 4, mvebu cortexa72);
//     arm_cortex-a7_neon-vfpv4 (bcm2709: Raspberry Pi 2, ipq40xx, sunxi cortexa7, mt7623);
//     arm_arm1176jzf-s_vfp (bcm2708: Raspberry Pi 1 and Zero); mipsel_24kc (ramips
//     mt7621, mt76x8). OpenWrt 25.12 and later install apk (v3) packages instead of ipk,
//     under the same names: both formats take openwrtArchs.
var archTable = map[Format]map[string]archEntry{
	Deb: {
		"linux/amd64":  {archs: []string{"amd64"}},
		"linux/arm64":  {archs: []string{"arm64"}},
		"linux/arm/v7": {why: "Debian's armhf is built from linux/arm/v6, which runs on ARMv6 (Raspberry Pi OS) and ARMv7 alike"},
		"linux/arm/v6": {archs: []string{"armhf"}},
		"linux/mipsle": {archs: []string{"mipsel"}},
	},
	RPM: {
		"linux/amd64":  {archs: []string{"x86_64"}},
		"linux/arm64":  {archs: []string{"aarch64"}},
		"linux/arm/v7": {archs: []string{"armv7hl"}},
		"linux/arm/v6": {why: "no RPM distribution ships an armv6hl architecture"},
		"linux/mipsle": {why: "no RPM distribution ships a mipsel architecture"},
	},
	APK: {
		"linux/amd64":  {archs: []string{"x86_64"}},
		"linux/arm64":  {archs: []string{"aarch64"}},
		"linux/arm/v7": {archs: []string{"armv7"}},
		"linux/arm/v6": {archs: []string{"armhf"}},
		"linux/mipsle": {why: "Alpine has no mipsel port"},
	},
	IPK:  openwrtArchs,
	APK3: openwrtArchs,
}

// openwrtArchs are OpenWrt's package architectures, which opkg (.ipk) and apk-tools 3
// (.apk) read alike.
var openwrtArchs = map[string]archEntry{
	"linux/amd64":  {archs: []string{"x86_64"}},
	"linux/arm64":  {archs: []string{"aarch64_generic", "aarch64_cortex-a53", "aarch64_cortex-a72"}},
	"linux/arm/v7": {archs: []string{"arm_cortex-a7_neon-vfpv4"}},
	"linux/arm/v6": {archs: []string{"arm_arm1176jzf-s_vfp"}},
	"linux/mipsle": {archs: []string{"mipsel_24kc"}},
}

// Plan lists the packages to build for these platforms and formats, format by format in
// the order of platforms, and every pair that gets none with its reason.
func Plan(platforms []string, formats []Format) (targets []Target, skips []Skip) {
	for _, f := range formats {
		for _, p := range platforms {
			e, ok := archTable[f][p]
			switch {
			case !ok:
				skips = append(skips, Skip{f, p, "no " + string(f) + " architecture is known for it (packaging/arch.go)"})
			case len(e.archs) == 0:
				skips = append(skips, Skip{f, p, e.why})
			default:
				for _, a := range e.archs {
					targets = append(targets, Target{Format: f, Arch: a, Platform: p})
				}
			}
		}
	}
	return targets, skips
}

// PlatformName is the suffix of the per-platform binaries: linux/arm/v7 -> linux-armv7, as
// the Makefile's platform-name spells it.
func PlatformName(platform string) string {
	return strings.ReplaceAll(strings.ReplaceAll(platform, "/v", "v"), "/", "-")
}
