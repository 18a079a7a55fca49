// Package testmake runs the project's Makefile from tests, so that tests exercise the same
// targets and build flags users type, and copies the tree for tests that build or change a
// copy of it. It is imported by tests only.
package testmake

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Command returns `make -s -C root args...`. A make that runs the tests exports its own
// flags and level; the inner make must not inherit them (a jobserver it cannot reach, or
// variables given to the outer make on its command line).
func Command(root string, args ...string) *exec.Cmd {
	cmd := exec.Command("make", append([]string{"-s", "-C", root}, args...)...) //nolint:gosec // the tests choose the targets
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	return cmd
}

// CopyTree copies the regular files under from to to, keeping their permission bits. A
// directory is left out when its path relative to from (with slashes) or its name is one of
// skip: ".git", "bin" and the load test's "results" are what a copy of sources never needs.
func CopyTree(from, to string, skip ...string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel != "." && (slices.Contains(skip, filepath.ToSlash(rel)) || slices.Contains(skip, d.Name())) {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(to, rel), 0o750)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path) //nolint:gosec // the tree the test copies
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, info.Mode().Perm()) //nolint:gosec // rel is a path under from, written under the test's own to
	})
}
