// VERSION (git describe) as each package format's version.

package packaging

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Version is the build's version as git describe gives it (the Makefile's VERSION), split
// into what each package format can carry.
//
// The mapping, for every format:
//
//	VERSION                    deb, ipk, rpm (rpm adds -1)             apk
//	v1.2.3                     1.2.3                                   1.2.3-r0
//	v1.2.3-rc.1                1.2.3~rc1                               1.2.3_rc1-r0
//	v1.2.3-4-gabc1234          1.2.3+4.gabc1234                        1.2.3_p4-r0
//	abc1234 (no tag yet)       0.0.0+git20261127143005.gabc1234        0.0.0_git20261127143005-r0
//	v1.2.3-dirty               1.2.3+0.dirty                           1.2.3-r1
//	v1.2.3-4-gabc1234-dirty    1.2.3+4.gabc1234.dirty                  1.2.3_p4-r1
//
// A release tag maps to its number, before which its pre-releases sort; a build after a tag
// sorts after it and before the next release, by its distance from the tag; a build of a
// tree with no tag sorts by its commit time (BUILD_DATE), before any release; a dirty tree
// sorts just after the clean build of the same commit, and before the next commit. apk's
// grammar (digits, one pre-release and one post-release suffix, -r<n>) has no room for the
// commit hash or a dirty mark: a dirty build is release r1 of its commit, and the apk's
// description names the full VERSION.
type Version struct {
	Describe string // the input, for descriptions
	Release  string // 1.2.3, or 0.0.0 when there is no tag
	Pre      string // alpha, beta, pre or rc, from a tag such as v1.2.3-rc.1; empty for none
	PreNum   string // its number, possibly empty
	Commits  int    // commits since the tag
	Hash     string // the abbreviated commit, when not exactly on a tag
	Tagged   bool   // a tag was found
	Dirty    bool   // the tree had uncommitted changes
	Stamp    string // the commit's time, 20261127143005, for untagged builds
}

// The parts of git describe's output: a tag with its distance and commit, a bare commit
// (no tag yet), and a tag as ParseVersion accepts it.
var (
	describeRe = regexp.MustCompile(`^(.+)-([0-9]+)-g([0-9a-f]{4,40})$`)
	hashRe     = regexp.MustCompile(`^[0-9a-f]{4,40}$`)
	tagRe      = regexp.MustCompile(`^v?([0-9]+(?:\.[0-9]+)*)(?:-(alpha|beta|pre|rc)\.?([0-9]*))?$`)
)

// ParseVersion reads VERSION (git describe --tags --always --dirty) and BUILD_DATE (the
// commit's time, RFC 3339 in UTC) into a Version. A tag must look like v1.2.3 (the v and
// a -alpha/-beta/-pre/-rc suffix optional): anything else has no order every format can
// express, and is an error.
func ParseVersion(describe, buildDate string) (Version, error) {
	v := Version{Describe: describe}
	rest := describe
	if s, ok := strings.CutSuffix(rest, "-dirty"); ok && s != "" {
		v.Dirty, rest = true, s
	}
	tag := ""
	switch m := describeRe.FindStringSubmatch(rest); {
	case m != nil:
		n, err := strconv.Atoi(m[2])
		if err != nil {
			return Version{}, fmt.Errorf("version %q: %w", describe, err)
		}
		tag, v.Commits, v.Hash = m[1], n, m[3]
	case tagRe.MatchString(rest) && (rest[0] == 'v' || strings.Contains(rest, ".")):
		tag = rest
	case hashRe.MatchString(rest):
		v.Hash = rest
	default:
		return Version{}, fmt.Errorf("version %q: not a tag like v1.2.3, a git describe of one, or a commit hash", describe)
	}
	if tag != "" {
		m := tagRe.FindStringSubmatch(tag)
		if m == nil {
			return Version{}, fmt.Errorf("version %q: tag %q is not like v1.2.3 or v1.2.3-rc.1, so no package format can order it", describe, tag)
		}
		v.Tagged, v.Release, v.Pre, v.PreNum = true, m[1], m[2], m[3]
		return v, nil
	}
	t, err := time.Parse(time.RFC3339, buildDate)
	if err != nil {
		return Version{}, fmt.Errorf("version %q has no tag, so its packages are ordered by the commit time, but BUILD_DATE %q is not a time: %w", describe, buildDate, err)
	}
	t = t.UTC()
	v.Release, v.Stamp = "0.0.0", t.Format("20060102150405")
	return v, nil
}

// Debian is the version for a .deb: dpkg's upstream version, without a Debian revision.
// opkg orders versions as dpkg does, so the .ipk carries the same.
func (v Version) Debian() string {
	s := v.Release
	if v.Pre != "" {
		s += "~" + v.Pre + v.PreNum
	}
	switch {
	case !v.Tagged:
		s += "+git" + v.Stamp + ".g" + v.Hash
	case v.Commits > 0:
		s += "+" + strconv.Itoa(v.Commits) + ".g" + v.Hash
	case v.Dirty:
		s += "+0" // zero commits after the tag: before the first one
	}
	if v.Dirty {
		s += ".dirty"
	}
	return s
}

// RPM is the Version tag of an .rpm: rpm orders ~ before anything and a longer version
// after its prefix, as dpkg does, so it is the Debian version; the Release tag is 1.
func (v Version) RPM() (version, release string) { return v.Debian(), "1" }

// APK is the pkgver of an .apk without its -r suffix, and the release: 0, or 1 for a dirty
// tree. A pre-release is _rc1, a build after a tag _p<commits> (patch level), an untagged
// build _git<commit time>.
func (v Version) APK() (version, release string) {
	s := v.Release
	if v.Pre != "" {
		s += "_" + v.Pre + v.PreNum
	}
	switch {
	case !v.Tagged:
		s += "_git" + v.Stamp
	case v.Commits > 0:
		s += "_p" + strconv.Itoa(v.Commits)
	}
	if v.Dirty {
		return s, "1"
	}
	return s, "0"
}

// For returns the version and release nfpm is given for a format, and the full version
// string the package manager shows. OpenWrt's apk-tools 3 orders versions by apk's grammar,
// as Alpine's does, so APK3 carries the apk version.
func (v Version) For(f Format) (version, release, full string) {
	switch f {
	case RPM:
		version, release = v.RPM()
		return version, release, version + "-" + release
	case APK, APK3:
		version, release = v.APK()
		return version, release, version + "-r" + release
	default:
		return v.Debian(), "", v.Debian()
	}
}
