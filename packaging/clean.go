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
// after make packages).
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
		if e.IsDir() || !strings.HasPrefix(base, b.Name) || !slices.Contains(Formats, Format(strings.TrimPrefix(ext, "."))) {
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
