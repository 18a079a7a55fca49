package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// stamp is what tells a file changed without reading it.
type stamp struct {
	size    int64
	modTime time.Time
}

// tree maps each source file of the product (relative path) to its stamp.
type tree map[string]stamp

// skipDirs are never the product's sources: build output, VCS data, results.
var skipDirs = map[string]bool{".git": true, "bin": true, "dist": true, "results": true, "node_modules": true}

// snapshot stamps the product's sources under root: Go files, go.mod and go.sum, the
// Dockerfiles and .dockerignore. Folders that are modules of their own (the satellites:
// loadtest, deploy, tools, ...) are not the product and are left out, so editing a
// manifest or a test tool does not rebuild the image.
func snapshot(root string) (tree, error) {
	t := tree{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			if skipDirs[d.Name()] || strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if !strings.HasSuffix(name, ".go") && name != "go.mod" && name != "go.sum" &&
			!strings.HasPrefix(name, "Dockerfile") && name != ".dockerignore" {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		t[rel] = stamp{info.Size(), info.ModTime()}
		return nil
	})
	return t, err
}

// change is what differs between two snapshots.
type change struct {
	now                      tree
	added, removed, modified []string
}

func diff(before, now tree) change {
	c := change{now: now}
	for p, s := range now {
		old, ok := before[p]
		switch {
		case !ok:
			c.added = append(c.added, p)
		case old != s:
			c.modified = append(c.modified, p)
		}
	}
	for p := range before {
		if _, ok := now[p]; !ok {
			c.removed = append(c.removed, p)
		}
	}
	sort.Strings(c.added)
	sort.Strings(c.removed)
	sort.Strings(c.modified)
	return c
}

func (c change) empty() bool { return len(c.added)+len(c.removed)+len(c.modified) == 0 }

func (c change) summary() string {
	var parts []string
	for _, g := range []struct {
		what  string
		files []string
	}{{"modified", c.modified}, {"added", c.added}, {"removed", c.removed}} {
		if len(g.files) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", g.what, strings.Join(g.files, " ")))
		}
	}
	return strings.Join(parts, "; ")
}

// waitForChange polls the tree until it differs from before, then waits one more period
// for it to settle (an editor or a git checkout writes several files) and returns what
// changed since before.
func waitForChange(ctx context.Context, root string, before tree, every time.Duration) (change, error) {
	for {
		select {
		case <-ctx.Done():
			return change{}, ctx.Err()
		case <-time.After(every):
		}
		now, err := snapshot(root)
		if err != nil {
			return change{}, err
		}
		if diff(before, now).empty() {
			continue
		}
		for {
			select {
			case <-ctx.Done():
				return change{}, ctx.Err()
			case <-time.After(every):
			}
			settled, err := snapshot(root)
			if err != nil {
				return change{}, err
			}
			if diff(now, settled).empty() {
				return diff(before, settled), nil
			}
			now = settled
		}
	}
}
