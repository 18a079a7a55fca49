// VERSION as each format's version: the mapping, the errors, and the order dpkg, rpm and
// apk-tools' rules give a sequence of builds.

package packaging

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestParseVersion maps VERSIONs, tagged or not, clean or dirty, to each format's version.
func TestParseVersion(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		describe, date string
		deb, rpm, apk  string // rpm and apk with their release
	}{
		"release":             {"v1.2.3", "unknown", "1.2.3", "1.2.3-1", "1.2.3-r0"},
		"release without v":   {"1.2.3", testDate, "1.2.3", "1.2.3-1", "1.2.3-r0"},
		"two parts":           {"v2.0", testDate, "2.0", "2.0-1", "2.0-r0"},
		"one part":            {"v7", testDate, "7", "7-1", "7-r0"},
		"release, dirty":      {"v1.2.3-dirty", testDate, "1.2.3+0.dirty", "1.2.3+0.dirty-1", "1.2.3-r1"},
		"after a tag":         {"v1.2.3-4-gabc1234", testDate, "1.2.3+4.gabc1234", "1.2.3+4.gabc1234-1", "1.2.3_p4-r0"},
		"after a tag, dirty":  {"v1.2.3-4-gabc1234-dirty", testDate, "1.2.3+4.gabc1234.dirty", "1.2.3+4.gabc1234.dirty-1", "1.2.3_p4-r1"},
		"release candidate":   {"v1.2.3-rc.1", testDate, "1.2.3~rc1", "1.2.3~rc1-1", "1.2.3_rc1-r0"},
		"rc without dot":      {"v1.2.3-rc2", testDate, "1.2.3~rc2", "1.2.3~rc2-1", "1.2.3_rc2-r0"},
		"beta, no number":     {"v1.0.0-beta", testDate, "1.0.0~beta", "1.0.0~beta-1", "1.0.0_beta-r0"},
		"after an rc":         {"v1.2.3-rc.1-5-g0123abcd", testDate, "1.2.3~rc1+5.g0123abcd", "1.2.3~rc1+5.g0123abcd-1", "1.2.3_rc1_p5-r0"},
		"no tag":              {"abc1234", testDate, "0.0.0+git20261127143005.gabc1234", "0.0.0+git20261127143005.gabc1234-1", "0.0.0_git20261127143005-r0"},
		"no tag, dirty":       {"abc1234-dirty", testDate, "0.0.0+git20261127143005.gabc1234.dirty", "0.0.0+git20261127143005.gabc1234.dirty-1", "0.0.0_git20261127143005-r1"},
		"no tag, digits only": {"1234567", testDate, "0.0.0+git20261127143005.g1234567", "0.0.0+git20261127143005.g1234567-1", "0.0.0_git20261127143005-r0"},
		"no tag, other zone":  {"abc1234", "2026-11-27T15:30:05+01:00", "0.0.0+git20261127143005.gabc1234", "0.0.0+git20261127143005.gabc1234-1", "0.0.0_git20261127143005-r0"},
		"long hash after tag": {"v0.1.0-12-g0123456789ab", testDate, "0.1.0+12.g0123456789ab", "0.1.0+12.g0123456789ab-1", "0.1.0_p12-r0"},
		"zero commits after":  {"v0.1.0-0-gabcdef0", testDate, "0.1.0", "0.1.0-1", "0.1.0-r0"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v, err := ParseVersion(tc.describe, tc.date)
			if err != nil {
				t.Fatalf("ParseVersion(%q, %q): %v", tc.describe, tc.date, err)
			}
			_, _, deb := v.For(Deb)
			_, _, rpm := v.For(RPM)
			_, _, apk := v.For(APK)
			_, _, ipk := v.For(IPK)
			if deb != tc.deb || rpm != tc.rpm || apk != tc.apk || ipk != tc.deb {
				t.Errorf("%q: deb %q rpm %q apk %q ipk %q; want %q %q %q %q", tc.describe, deb, rpm, apk, ipk, tc.deb, tc.rpm, tc.apk, tc.deb)
			}
		})
	}
}

// TestParseVersionErrors refuses the VERSIONs no format can order, and an untagged one
// without a BUILD_DATE.
func TestParseVersionErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ describe, date, want string }{
		"no git":            {"dev", testDate, "not a tag like v1.2.3"},
		"empty":             {"", testDate, "not a tag like v1.2.3"},
		"word tag":          {"release-1", testDate, "not a tag like v1.2.3"},
		"tag with a word":   {"v1.2.3-foo", testDate, "not a tag like v1.2.3"},
		"odd tag described": {"release-3-gabc1234", testDate, `tag "release" is not like v1.2.3`},
		"upper-case hash":   {"ABC1234", testDate, "not a tag like v1.2.3"},
		"only dirty":        {"-dirty", testDate, "not a tag like v1.2.3"},
		"no tag, no date":   {"abc1234", "unknown", `BUILD_DATE "unknown" is not a time`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if v, err := ParseVersion(tc.describe, tc.date); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseVersion(%q, %q) = %+v, %v; want an error with %q", tc.describe, tc.date, v, err, tc.want)
			}
		})
	}
}

// orderedVersions are VERSIONs in the order a package manager must upgrade through them,
// each with its commit's BUILD_DATE: a dirty tree just after the clean build of its commit.
var orderedVersions = []struct{ describe, date string }{
	{"0a1b2c3", "2026-01-01T00:00:00Z"},
	{"0a1b2c3-dirty", "2026-01-01T00:00:00Z"},
	{"ffff000", "2026-01-01T00:00:01Z"},
	{"1234567", "2026-01-01T09:00:00Z"},
	{"abcdef0", "2026-02-01T00:00:00Z"},
	{"v0.1.0-alpha.1", testDate},
	{"v0.1.0-beta", testDate},
	{"v0.1.0-rc.1", testDate},
	{"v0.1.0-rc.1-dirty", testDate},
	{"v0.1.0-rc.1-2-g1111111", testDate},
	{"v0.1.0-rc.2", testDate},
	{"v0.1.0", testDate},
	{"v0.1.0-dirty", testDate},
	{"v0.1.0-1-gbbbbbbb", testDate},
	{"v0.1.0-1-gbbbbbbb-dirty", testDate},
	{"v0.1.0-2-gaaaaaaa", testDate},
	{"v0.1.0-10-g0000000", testDate},
	{"v0.1.1", testDate},
	{"v0.2", testDate},
	{"v0.10.0", testDate},
	{"v1.0.0", testDate},
	{"v1.0.0-1-gccccccc-dirty", testDate},
}

// parseOrderedVersions parses orderedVersions, in their order.
func parseOrderedVersions(t *testing.T) (versions []Version) {
	t.Helper()
	for _, o := range orderedVersions {
		v, err := ParseVersion(o.describe, o.date)
		if err != nil {
			t.Fatalf("ParseVersion(%q): %v", o.describe, err)
		}
		versions = append(versions, v)
	}
	return versions
}

// TestVersionOrderAPK holds the apk versions to apk-tools' grammar (a port of its
// version.c, below) and to the stricter one other apk tools parse (one pre-release and one
// post-release suffix, as go-apk does), and their order to Gentoo's rules, which apk
// follows: there is no apk on a Debian machine.
func TestVersionOrderAPK(t *testing.T) {
	t.Parallel()
	vs := parseOrderedVersions(t)
	for i, v := range vs {
		_, _, full := v.For(APK)
		if !apkValid(full) || !apkStrict.MatchString(full) {
			t.Errorf("%q: apk version %q is not valid (apk-tools: %v, one suffix of each kind: %v)", v.Describe, full, apkValid(full), apkStrict.MatchString(full))
			continue
		}
		if i > 0 {
			_, _, prev := vs[i-1].For(APK)
			if c := apkCompare(prev, full); c != -1 {
				t.Errorf("apk: %q (%s) should sort before %q (%s), compare = %d", vs[i-1].Describe, prev, v.Describe, full, c)
			}
		}
	}
	// The comparison itself, on lines of apk-tools' own test data (test/version.data).
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0}, {"1.0", "1.1", -1}, {"1.1_alpha1", "1.1", -1}, {"3.1_p16", "3.1_p17", -1},
		{"1.0.4-r3", "1.0.4-r4", -1}, {"0.8_beta1", "0.8_beta2", -1}, {"2.3.0b-r1", "2.3.0b-r2", -1},
		{"0.10.0", "0.10.1_rc1", -1}, {"1.8.5", "1.8.5_p2", -1}, {"1.3-r0", "1.3.1-r0", -1},
		{"1.0.0_pre20191002222144-r0", "1.0.0_pre20210530193627-r0", -1}, {"2.8.9-r1", "2.8.9", 1},
	} {
		if got := apkCompare(c.a, c.b); got != c.want {
			t.Errorf("apkCompare(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	for _, bad := range []string{"1.0-dirty", "1.0~rc1", "1.0+3.gabc", "1.0_git~abc", "1.0_foo", "1.0.dirty"} {
		if apkValid(bad) || apkStrict.MatchString(bad) {
			t.Errorf("%q passes as an apk version; apk-tools refuses it", bad)
		}
	}
}

// TestVersionOrderDebian asks dpkg, whose rules opkg follows, to validate and order the
// .deb and .ipk versions.
func TestVersionOrderDebian(t *testing.T) {
	t.Parallel()
	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		t.Fatalf("dpkg not found (apt-get install dpkg): %v", err)
	}
	vs := parseOrderedVersions(t)
	for i, v := range vs {
		_, _, full := v.For(Deb)
		if out, err := exec.Command(dpkg, "--validate-version", full).CombinedOutput(); err != nil {
			t.Errorf("%q: dpkg refuses %q: %s", v.Describe, full, out)
		}
		if i > 0 {
			_, _, prev := vs[i-1].For(Deb)
			if err := exec.Command(dpkg, "--compare-versions", prev, "lt", full).Run(); err != nil {
				t.Errorf("dpkg: %q (%s) should sort before %q (%s)", vs[i-1].Describe, prev, v.Describe, full)
			}
		}
	}
}

// TestVersionOrderRPM asks rpm's own comparison (rpm.vercmp) to order the .rpm versions.
func TestVersionOrderRPM(t *testing.T) {
	t.Parallel()
	rpm, err := exec.LookPath("rpm")
	if err != nil {
		t.Fatalf("rpm not found (apt-get install rpm): %v", err)
	}
	allowed := regexp.MustCompile(`^[A-Za-z0-9._+~^]+$`)
	vs := parseOrderedVersions(t)
	var lua strings.Builder
	for i, v := range vs {
		ver, rel, _ := v.For(RPM)
		if !allowed.MatchString(ver) || rel != "1" {
			t.Errorf("%q: rpm version %q release %q: a character rpm does not allow in a Version tag", v.Describe, ver, rel)
		}
		if i > 0 {
			prev, _, _ := vs[i-1].For(RPM)
			lua.WriteString("print(rpm.vercmp('" + prev + "', '" + ver + "') .. ' ') ")
		}
	}
	out, err := exec.Command(rpm, "--eval", "%{lua: "+lua.String()+"}").Output()
	if err != nil {
		t.Fatalf("rpm --eval: %v", err)
	}
	results := strings.Fields(string(out))
	if len(results) != len(vs)-1 {
		t.Fatalf("rpm printed %q; want %d comparisons", out, len(vs)-1)
	}
	for i, r := range results {
		prev, _, _ := vs[i].For(RPM)
		next, _, _ := vs[i+1].For(RPM)
		if n, err := strconv.Atoi(r); err != nil || n != -1 {
			t.Errorf("rpm: %s should sort before %s, vercmp = %s", prev, next, r)
		}
	}
}
