package host

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// CgroupHierarchies returns the mount points of every cgroup (v1) and cgroup2 hierarchy.
func CgroupHierarchies(mounts []Mount) []string {
	var dirs []string
	for _, m := range mounts {
		if m.FSType == "cgroup" || m.FSType == "cgroup2" {
			dirs = append(dirs, m.Point)
		}
	}
	slices.Sort(dirs)
	return dirs
}

// CreateCgroup makes the cgroup name (e.g. "/getsmall-k8s") in every v1 hierarchy, as the
// kubelet wants its cgroupRoot to exist already, and gives the cpuset one the parent's
// CPUs and memory nodes (a new cpuset starts empty and would accept no process).
func CreateCgroup(mounts []Mount, name string) error {
	for _, m := range mounts {
		if m.FSType != "cgroup" {
			continue
		}
		dir := filepath.Join(m.Point, name)
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return err
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			v, err := os.ReadFile(filepath.Join(m.Point, f)) //nolint:gosec // a cgroup hierarchy from mountinfo
			if errors.Is(err, fs.ErrNotExist) {
				continue // not the cpuset hierarchy
			}
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, f), v, 0o600); err != nil { //nolint:gosec // a cgroup the caller names
				return fmt.Errorf("%s: %w", filepath.Join(dir, f), err)
			}
		}
	}
	return nil
}

// RemoveCgroup removes the cgroup name and everything below it from every hierarchy,
// deepest first (a cgroup directory can only be removed once it has no children and no
// processes).
func RemoveCgroup(mounts []Mount, name string) error {
	var errs []error
	for _, h := range CgroupHierarchies(mounts) {
		root := filepath.Join(h, name)
		var dirs []string
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		slices.SortFunc(dirs, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
		for _, d := range dirs {
			if err := os.Remove(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// topCgroups lists the first-level cgroups of every hierarchy, "hierarchy/name".
func topCgroups(mounts []Mount) ([]string, error) {
	var out []string
	for _, h := range CgroupHierarchies(mounts) {
		entries, err := os.ReadDir(h)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.IsDir() {
				out = append(out, filepath.Join(h, e.Name()))
			}
		}
	}
	return out, nil
}
