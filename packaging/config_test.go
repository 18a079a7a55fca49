// nfpm's configurations: each target's, read back by nfpm's own parser, and the files
// WriteFiles puts beside it.

package packaging

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goreleaser/nfpm/v2"
)

// TestConfigs writes every nfpm target's configuration and has nfpm's own parser read it
// (refusing unknown fields) and prepare its files, as nfpm package does. apk-tools, not
// nfpm, writes the OpenWrt .apk.
func TestConfigs(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "getsmall-upx-linux-amd64")
	mustWrite(t, bin, "\x7fELF", 0o600)
	b := testBuild(t, true)
	targets, _ := Plan(allPlatforms, []Format{Deb, RPM, APK, IPK})
	for _, tg := range targets {
		t.Run(string(tg.Format)+"-"+tg.Arch, func(t *testing.T) {
			t.Parallel()
			c, err := b.Contents(tg.Format, bin)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := b.WriteFiles(c, dir); err != nil {
				t.Fatal(err)
			}
			raw, err := json.Marshal(b.Config(tg, c, dir))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := nfpm.ParseWithEnvMapping(strings.NewReader(string(raw)), func(string) string { return "" })
			if err != nil {
				t.Fatalf("nfpm cannot parse the configuration: %v\n%s", err, raw)
			}
			info, err := cfg.Get(string(tg.Format))
			if err != nil {
				t.Fatal(err)
			}
			if err := nfpm.Validate(info); err != nil {
				t.Fatalf("nfpm.Validate: %v", err)
			}
			ver, rel, _ := b.Version.For(tg.Format)
			arch := map[Format]string{Deb: info.Deb.Arch, RPM: info.RPM.Arch, APK: info.APK.Arch, IPK: info.IPK.Arch}[tg.Format]
			if info.Name != "getsmall" || info.Arch != tg.Arch || arch != tg.Arch || info.Version != ver || info.Release != rel ||
				info.VersionSchema != "none" || info.License != "MIT" || info.Maintainer != b.Maintainer ||
				!info.MTime.Equal(b.Date) {
				t.Errorf("info: name %q arch %q/%q version %q release %q schema %q license %q maintainer %q mtime %v",
					info.Name, info.Arch, arch, info.Version, info.Release, info.VersionSchema, info.License, info.Maintainer, info.MTime)
			}
			if err := nfpm.PrepareForPackager(info, string(tg.Format)); err != nil {
				t.Fatalf("nfpm cannot prepare the files: %v", err)
			}
			got := map[string]string{}
			for _, f := range info.Contents {
				if f.Type == "implicit dir" || f.Type == "dir" {
					continue
				}
				got[f.Destination] = fmt.Sprintf("%s %04o", f.Type, f.FileInfo.Mode.Perm())
				if f.Type == "file" {
					got[f.Destination] = fmt.Sprintf(" %04o", f.FileInfo.Mode.Perm())
				}
				if f.FileInfo.Owner != "root" || f.FileInfo.Group != "root" || !f.FileInfo.MTime.Equal(b.Date) {
					t.Errorf("%s: owner %s:%s, time %v; want root:root at BUILD_DATE", f.Destination, f.FileInfo.Owner, f.FileInfo.Group, f.FileInfo.MTime)
				}
			}
			compareFiles(t, got, fileSet[tg.Format])
			for _, f := range info.Contents {
				if f.Destination == "/usr/bin/getsmall" && f.Source != bin {
					t.Errorf("the binary comes from %q, want %q", f.Source, bin)
				}
			}
			scripts := []string{info.Scripts.PreInstall, info.Scripts.PostInstall, info.Scripts.PreRemove, info.Scripts.PostRemove,
				info.APK.Scripts.PreUpgrade, info.APK.Scripts.PostUpgrade}
			want := map[Format]string{Deb: "-xxx--", RPM: "-xxx--", APK: "x-xxxx", IPK: "-xxx--"}[tg.Format]
			var have strings.Builder
			for _, s := range scripts {
				if s == "" {
					have.WriteByte('-')
					continue
				}
				have.WriteByte('x')
				if st, err := os.Stat(s); err != nil || !st.ModTime().Equal(b.Date) {
					t.Errorf("script %s: %v, time %v; want it dated BUILD_DATE (apk takes its time from the file)", s, err, st.ModTime())
				}
			}
			if have.String() != want {
				t.Errorf("scripts (preinstall, postinstall, preremove, postremove, apk preupgrade, apk postupgrade) %s, want %s", have.String(), want)
			}
			desc := b.Description(tg)
			if !strings.Contains(desc, "UPX-packed") || !strings.Contains(desc, "v1.2.3-4-gabc1234-dirty") ||
				tg.Format == APK && strings.Contains(desc, "\n") {
				t.Errorf("description %q: want the flavour and VERSION, one line for apk", desc)
			}
			if tg.Format == RPM && (info.RPM.BuildHost != "reproducible" || info.RPM.Compression != "xz") {
				t.Errorf("rpm build host %q, compression %q", info.RPM.BuildHost, info.RPM.Compression)
			}
		})
	}
}

// TestWriteFilesModes checks the files nfpm reads: scripts executable, all dated.
func TestWriteFilesModes(t *testing.T) {
	t.Parallel()
	b := testBuild(t, true)
	c := contentsOf(t, b, APK)
	dir := t.TempDir()
	if err := b.WriteFiles(c, dir); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		if !st.ModTime().Equal(b.Date) {
			t.Errorf("%s: time %v, want BUILD_DATE", path, st.ModTime())
		}
		if strings.Contains(path, "scripts") && st.Mode().Perm()&0o100 == 0 {
			t.Errorf("%s: mode %v, want executable", path, st.Mode())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
