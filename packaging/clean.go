// Clean: the package directory keeps one version's packages, whatever the flavours.

package packaging

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Clean prepares dir for this build: it removes the packages (and their SBOMs and
// signatures) of every other version, and this build's flavour of this version, so that
// the directory holds one version's packages: those this run writes and the other
// flavours already written for the same version (make packages PACKAGE_BINARY=plain
// after make packages). A repository of another version goes too; this flavour's own are
// rewritten by the run.
func (b Build) Clean(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	ours := map[string]bool{}
	for f, platforms := range archTable {
		for _, e := range platforms {
			for _, a := range e.archs {
				ours[b.FileName(Target{Format: f, Arch: a})] = true
			}
		}
	}
	// The prefix each format's file name has for this version, whatever the flavour.
	var prefixes []string
	for _, f := range Formats {
		name := b.FileName(Target{Format: f, Arch: "\x00"})
		prefixes = append(prefixes, name[:strings.IndexByte(name, 0)])
	}
	for _, e := range entries {
		base := strings.TrimSuffix(strings.TrimSuffix(e.Name(), ".sigstore.json"), ".cdx.json")
		ext := filepath.Ext(base)
		if e.IsDir() {
			if err := b.cleanRepo(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
			continue
		}
		if !strings.HasPrefix(base, b.Name) || !slices.Contains(Formats, Format(strings.TrimPrefix(ext, "."))) {
			continue
		}
		current := slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(base, p) })
		if ours[base] || !current {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// cleanRepo removes path if it is an apk repository (an index in each architecture's
// directory) that holds no package of this version.
func (b Build) cleanRepo(path string) error {
	indexes, _ := filepath.Glob(filepath.Join(path, "*", "APKINDEX.tar.gz"))
	adbs, _ := filepath.Glob(filepath.Join(path, "*", "packages.adb"))
	_, _, full := b.Version.For(APK)
	ours, _ := filepath.Glob(filepath.Join(path, "*", b.Name+"-"+full+".apk"))
	if len(indexes)+len(adbs) == 0 || len(ours) > 0 {
		return nil
	}
	return os.RemoveAll(path)
}
