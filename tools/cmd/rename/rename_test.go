package main

import (
	"bytes"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// template is the fake tree: each path and content is written with {M} for the module
// path, {N} for the name and {U} for its upper-case form wherever a rename must change
// them, and with the template's own names spelled out wherever it must not. Filling the
// placeholders with the old names gives the tree to rename; filling them with the new
// names gives the tree expected afterwards.
var template = map[string]struct {
	data string
	mode fs.FileMode
}{
	"go.mod":          {"module {M}\n\ngo 1.26.0\n", 0o644},
	"Makefile":        {"# The product's name.\nNAME_BASE  := {N}\nIMAGE ?= {N}:dev\n", 0o644},
	"server/serve.go": {"package server\n\nimport \"{M}/router\"\n\nvar _ = router.New\n", 0o644},
	"cmd/{N}/main.go": {"// Command {N} serves /health.\npackage main\n\nimport _ \"{M}/server\"\n", 0o644},
	// Renamed inside a renamed directory: only works if the file moves first.
	"cmd/{N}/{N}_test.go": {"package main // {N}\n", 0o644},
	"Dockerfile":          {"COPY bin/{N}-floppy /{N}\nENTRYPOINT [\"/{N}\"]\n", 0o644},
	"deploy/base/deployment.yaml": {"metadata:\n  name: {N}\nenv:\n  - name: {U}_K8S_STATE\n" +
		"    value: {N}_x\n  image: ghcr.io/{N}/{N}:dev\n", 0o644},
	"scripts/run.sh": {"#!/bin/sh\nexec ./bin/{N} \"$@\" # {M}\n", 0o755},
	"secret.env":     {"{U}_TOKEN=x\n", 0o600},
	"tools/go.mod":   {"module {M}/tools\n", 0o644},
	"docs/vs.go":     {"func VsGetsmall() {}\nvar _ = report.Getsmall\nxgetsmall getsmall2 Getsmall GETSMALLX\n", 0o644},
	"docs/words.txt": {"{N}-floppy strace-{N}.txt /{N} {N}:dev {N}_x {N}.\n{N}", 0o644},
	"docs/plain.txt": {"nothing to see here\n", 0o644},
	"loadtest/internal/parse/testdata/strace-{N}.txt": {"execve(\"/{N}\")\n", 0o644},
	// Never touched.
	"LICENSE":                    {"Copyright (c) 2025 The getsmall authors\n", 0o644},
	"testdata/blob.bin":          {"getsmall\x00github.com/getsmall/getsmall GETSMALL", 0o644},
	"bin/getsmall":               {"getsmall built from github.com/getsmall/getsmall\n", 0o755},
	"dist/getsmall.txt":          {"getsmall\n", 0o644},
	"loadtest/results/getsmall":  {"getsmall 100 rps\n", 0o644},
	".git/config":                {"url = https://github.com/getsmall/getsmall\n", 0o644},
	"tools/cmd/rename/x_test.go": {"module github.com/getsmall/getsmall\nNAME_BASE := getsmall\n", 0o644},
}

// tmplNames are the names the template ships with.
var tmplNames = names{module: "github.com/getsmall/getsmall", name: "getsmall"}

// entry is one file of a snapshot.
type entry struct {
	data string
	mode fs.FileMode
}

// fill is the template with the placeholders replaced by n.
func fill(n names) map[string]entry {
	r := strings.NewReplacer("{M}", n.module, "{N}", n.name, "{U}", upper(n.name))
	out := map[string]entry{}
	for p, f := range template {
		out[r.Replace(p)] = entry{r.Replace(f.data), f.mode}
	}
	return out
}

// writeTree creates files in a new temporary directory and returns it.
func writeTree(t *testing.T, files map[string]entry) string {
	t.Helper()
	root := t.TempDir()
	for p, f := range files {
		file := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(f.data), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(file, f.mode); err != nil { // the umask may have cut bits
			t.Fatal(err)
		}
	}
	return root
}

// snapshot reads every file under root with its permission bits, and every directory
// as an entry with an empty mode, so that leftover and missing directories show.
func snapshot(t *testing.T, root string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := filepath.WalkDir(root, func(file string, d fs.DirEntry, err error) error {
		if err != nil || file == root {
			return err
		}
		rel, err := filepath.Rel(root, file)
		if err != nil {
			return err
		}
		if d.IsDir() {
			out[filepath.ToSlash(rel)+"/"] = entry{}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(file)
		out[filepath.ToSlash(rel)] = entry{string(data), info.Mode().Perm()}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// withDirs adds the directory entries snapshot records to a map of files.
func withDirs(files map[string]entry) map[string]entry {
	out := map[string]entry{}
	for p, f := range files {
		out[p] = f
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			out[d+"/"] = entry{}
		}
	}
	return out
}

// diffTrees reports every path whose presence, content or mode differs.
func diffTrees(t *testing.T, what string, got, want map[string]entry) {
	t.Helper()
	for p, w := range want {
		g, ok := got[p]
		switch {
		case !ok:
			t.Errorf("%s: %s missing", what, p)
		case g.data != w.data:
			t.Errorf("%s: %s:\n got %q\nwant %q", what, p, g.data, w.data)
		case g.mode != w.mode:
			t.Errorf("%s: %s: mode %v, want %v", what, p, g.mode, w.mode)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: unexpected %s", what, p)
		}
	}
}

// runOK runs the command and fails the test unless it exits 0; it returns stdout.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 0 || stderr.Len() > 0 {
		t.Fatalf("run %q: exit %d, stderr %q", args, code, stderr.String())
	}
	return stdout.String()
}

func TestRename(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		want, later names
		summary     string
	}{
		"plain": {
			want:    names{"example.com/team/svc", "svc"},
			later:   names{"example.org/other", "thing"},
			summary: "rename: module github.com/getsmall/getsmall -> example.com/team/svc, name getsmall -> svc: 12 files rewritten, 3 paths renamed\n",
		},
		"module holds the old name": {
			want:    names{"github.com/me/getsmall", "svc"},
			later:   names{"github.com/me/getsmall", "getsmall"},
			summary: "rename: module github.com/getsmall/getsmall -> github.com/me/getsmall, name getsmall -> svc: 12 files rewritten, 3 paths renamed\n",
		},
		"hyphenated name": {
			want:    names{"example.com/team/my-svc", "my-svc"},
			later:   names{"example.com/team/my-svc", "svc2"},
			summary: "rename: module github.com/getsmall/getsmall -> example.com/team/my-svc, name getsmall -> my-svc: 12 files rewritten, 3 paths renamed\n",
		},
		"name only": {
			want:    names{"github.com/getsmall/getsmall", "svc"},
			later:   names{"example.com/x", "svc"},
			summary: "rename: module github.com/getsmall/getsmall -> github.com/getsmall/getsmall, name getsmall -> svc: 9 files rewritten, 3 paths renamed\n",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := writeTree(t, fill(tmplNames))
			args := func(n names) []string { return []string{"-root", root, "-module", n.module, "-name", n.name} }

			if out := runOK(t, args(tc.want)...); out != tc.summary {
				t.Errorf("summary:\n got %q\nwant %q", out, tc.summary)
			}
			renamed := snapshot(t, root)
			diffTrees(t, "first run", renamed, withDirs(fill(tc.want)))

			wantAgain := "rename: already " + tc.want.module + " and " + tc.want.name + ": nothing to change\n"
			if out := runOK(t, args(tc.want)...); out != wantAgain {
				t.Errorf("second run: got %q, want %q", out, wantAgain)
			}
			diffTrees(t, "second run", snapshot(t, root), renamed)

			runOK(t, args(tc.later)...)
			diffTrees(t, "later run", snapshot(t, root), withDirs(fill(tc.later)))
		})
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	root := writeTree(t, fill(tmplNames))
	before := snapshot(t, root)
	out := runOK(t, "-root", root, "-module", "example.com/team/svc", "-name", "svc", "-dry-run")
	diffTrees(t, "dry run", snapshot(t, root), before)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 12+3+1 {
		t.Errorf("want 12 rewrites, 3 renames and a summary, got %d lines:\n%s", len(lines), out)
	}
	for _, want := range []string{
		"rewrite go.mod\n",
		"rewrite cmd/getsmall/main.go\n",
		"rename loadtest/internal/parse/testdata/strace-getsmall.txt -> loadtest/internal/parse/testdata/strace-svc.txt\n",
		"rename cmd/getsmall/getsmall_test.go -> cmd/getsmall/svc_test.go\nrename cmd/getsmall -> cmd/svc\n",
		": 12 files would be rewritten, 3 paths would be renamed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"LICENSE", "bin/", "blob.bin", "plain.txt", ".git", "tools/cmd/rename"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("dry-run output mentions %q:\n%s", unwanted, out)
		}
	}
}
