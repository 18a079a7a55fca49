// What the package's tests share: the build they package, its rendered contents, the
// files each format installs, and file helpers.

package packaging

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// testDate is the BUILD_DATE the tests build with: a commit's time, in UTC.
const testDate = "2026-11-27T14:30:05Z"

// testBuild is a build of a dirty tree four commits after v1.2.3.
func testBuild(t *testing.T, packed bool) Build {
	t.Helper()
	v, err := ParseVersion("v1.2.3-4-gabc1234-dirty", testDate)
	if err != nil {
		t.Fatal(err)
	}
	date, err := time.Parse(time.RFC3339, testDate)
	if err != nil {
		t.Fatal(err)
	}
	license := mustRead(t, "../LICENSE")
	flavor, suffix := "UPX-packed", ""
	if !packed {
		flavor, suffix = "plain", "-plain"
	}
	return Build{
		Meta: Meta{
			Name: "getsmall", Summary: "A /health endpoint", Maintainer: "The getsmall authors <getsmall@users.invalid>",
			Homepage: "https://github.com/getsmall/getsmall", License: "MIT", LicenseText: license,
		},
		Version: v, Date: date, Packed: packed, Flavor: flavor, Suffix: suffix,
	}
}

// contentsOf renders what format f's package of b holds, with /bin/true standing in for
// the binary.
func contentsOf(t *testing.T, b Build, f Format) Contents {
	t.Helper()
	c, err := b.Contents(f, "/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fileContent returns the rendered content of the file c installs at dst.
func fileContent(t *testing.T, c Contents, dst string) string {
	t.Helper()
	for _, f := range c.Files {
		if f.Dst == dst {
			return string(f.Content)
		}
	}
	t.Fatalf("no %s in the package", dst)
	return ""
}

// fileSet is what a format's package installs: destination -> type and mode.
var fileSet = map[Format]map[string]string{
	Deb: {
		"/usr/bin/getsmall":                    " 0755",
		"/lib/systemd/system/getsmall.service": " 0644",
		"/lib/systemd/system/getsmall.socket":  " 0644",
		"/etc/default/getsmall":                "config|noreplace 0644",
		"/usr/share/doc/getsmall/copyright":    " 0644",
	},
	RPM: {
		"/usr/bin/getsmall":                        " 0755",
		"/usr/lib/systemd/system/getsmall.service": " 0644",
		"/usr/lib/systemd/system/getsmall.socket":  " 0644",
		"/etc/sysconfig/getsmall":                  "config|noreplace 0644",
		"/usr/share/licenses/getsmall/LICENSE":     "license 0644",
	},
	APK: {
		"/usr/bin/getsmall":                    " 0755",
		"/etc/init.d/getsmall":                 " 0755",
		"/etc/conf.d/getsmall":                 "config|noreplace 0644",
		"/usr/share/licenses/getsmall/LICENSE": " 0644",
	},
	IPK: {
		"/usr/bin/getsmall":                    " 0755",
		"/etc/init.d/getsmall":                 " 0755",
		"/etc/config/getsmall":                 "config|noreplace 0644",
		"/usr/share/licenses/getsmall/LICENSE": " 0644",
	},
	APK3: {
		"/usr/bin/getsmall":                           " 0755",
		"/etc/init.d/getsmall":                        " 0755",
		"/etc/config/getsmall":                        "config|noreplace 0644",
		"/usr/share/licenses/getsmall/LICENSE":        " 0644",
		"/lib/apk/packages/getsmall.rusers":           " 0644",
		"/lib/apk/packages/getsmall.list":             " 0644",
		"/lib/apk/packages/getsmall.conffiles":        " 0644",
		"/lib/apk/packages/getsmall.conffiles_static": " 0644",
	},
}

// compareFiles wants got, a package's files (destination -> type and mode, or mode), to
// be want.
func compareFiles(t *testing.T, got, want map[string]string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("files:\n%v\nwant\n%v", got, want)
	}
}

// mustRead returns a file's content, or fails the test.
func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mustWrite writes content to path, making its directory first, or fails the test.
func mustWrite(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := writeWithDirs(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// must returns v, and panics on err: for values a test cannot do without.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
