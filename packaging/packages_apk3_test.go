// The OpenWrt .apk (apk-tools 3), read with apk-tools itself: apk adbdump for its metadata,
// owners and scripts, apk extract for its files.

package packaging

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// apkTools is the apk binary make test-packages hands the tests, or fails the test.
func (c *pkgCheck) apkTools() string {
	apk := os.Getenv("APK_TOOLS")
	if apk == "" {
		c.t.Fatal("APK_TOOLS is not set: run make test-packages, which builds apk-tools")
	}
	return apk
}

// apk3 checks an OpenWrt .apk: its metadata as apk reads it, every path owned by root, the
// scripts OpenWrt's apk runs, its files and OpenWrt's package database files, and the procd
// init script.
func (c *pkgCheck) apk3() {
	t := c.t
	apk := c.apkTools()
	dump := c.output(apk, "adbdump", c.pkg)
	_, _, full := c.b.version.For(APK3)
	for _, want := range []string{"  name: " + c.build.Name + "\n", "  version: " + full + "\n", "  arch: " + c.target.Arch + "\n",
		"  license: MIT\n", "  origin: " + c.build.Name + "\n", c.b.describe + " for " + c.target.Platform} {
		if !strings.Contains(dump, want) {
			t.Errorf("apk adbdump has no %q:\n%s", want, dump)
		}
	}
	if !strings.Contains(dump, "  maintainer: ") || strings.Contains(dump, "depends:") {
		t.Error("a maintainer and no dependency: a static binary depends on nothing")
	}
	for l := range strings.Lines(dump) {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), ": "); ok && (k == "user" || k == "group") && v != "root" {
			t.Errorf("an owner %s %q: want root", k, v)
		}
	}
	for _, s := range []string{"pre-install", "post-install", "pre-upgrade", "post-upgrade", "pre-deinstall", "post-deinstall"} {
		if !strings.Contains(dump, "\n  "+s+": |\n    #!/bin/sh\n") {
			t.Errorf("no %s script", s)
		}
	}
	dir := t.TempDir()
	c.output(apk, "extract", "--allow-untrusted", "--destination", dir, c.pkg)
	data := map[string]tarEntry{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		data[filepath.ToSlash(rel)] = tarEntry{mode: int64(info.Mode().Perm()), mtime: info.ModTime(), content: []byte(mustRead(t, path))}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c.checkData(data)
	c.checkOpenWrtDB(data)
	init := string(data["etc/init.d/"+c.build.Name].content)
	if !strings.HasPrefix(init, "#!/bin/sh /etc/rc.common\n") || !strings.Contains(init, "USE_PROCD=1") {
		t.Errorf("init script:\n%s", init)
	}
}

// checkOpenWrtDB wants the files OpenWrt's own scripts read: the file list (the package's
// files but the conffiles files), the conffiles with their SHA-256, the user.
func (c *pkgCheck) checkOpenWrtDB(data map[string]tarEntry) {
	t := c.t
	db := strings.TrimPrefix(OpenWrtPackagesDir, "/") + "/" + c.build.Name
	var list []string
	for name := range data {
		if !strings.HasPrefix(name, db+".list") && !strings.HasPrefix(name, db+".conffiles") {
			list = append(list, "/"+name)
		}
	}
	slices.Sort(list)
	conf := "etc/config/" + c.build.Name
	sum := sha256.Sum256(data[conf].content)
	for name, want := range map[string]string{
		".list":             strings.Join(list, "\n") + "\n",
		".conffiles":        "/" + conf + "\n",
		".conffiles_static": "/" + conf + " " + hex.EncodeToString(sum[:]) + "\n",
		".rusers":           c.build.Name + ":" + c.build.Name + "\n",
	} {
		if got := string(data[db+name].content); got != want {
			t.Errorf("%s%s: %q, want %q", db, name, got, want)
		}
	}
}
