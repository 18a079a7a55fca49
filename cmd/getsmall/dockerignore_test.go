package main

import (
	"bufio"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// TestDockerContextHoldsThePackages checks that the image builds see every file the binary
// is built from: .dockerignore is an allow-list (nothing else, secrets included, reaches
// the build), so a new package folder must be listed there, and this test says so before
// an image build fails on it. Both flavours' packages are checked.
func TestDockerContextHoldsThePackages(t *testing.T) {
	t.Parallel()
	patterns := readDockerignore(t, filepath.Join(repoRoot, ".dockerignore"))
	module := modulePath(t)
	for _, tags := range []string{"", "floppy,nethttpomithttp2"} {
		cmd := exec.Command("go", "list", "-deps", "-tags", tags, "-f", `{{if .Module}}{{if eq .Module.Path "`+module+`"}}{{.Dir}}{{range .GoFiles}} {{.}}{{end}}{{range .EmbedFiles}} {{.}}{{end}}{{end}}{{end}}`, "./cmd/getsmall")
		cmd.Dir = repoRoot
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps: %v", err)
		}
		root, err := filepath.Abs(repoRoot)
		if err != nil {
			t.Fatal(err)
		}
		files := []string{"go.mod", "go.sum"}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			dir, err := filepath.Rel(root, f[0])
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range f[1:] {
				files = append(files, path.Join(filepath.ToSlash(dir), name))
			}
		}
		for _, f := range files {
			if excluded(patterns, f) {
				t.Errorf(".dockerignore leaves out %s, which the binary is built from (tags %q): add its folder to the allow-list there, as !%s/", f, tags, strings.SplitN(f, "/", 2)[0])
			}
		}
	}
}

// modulePath reads the module path from go.mod.
func modulePath(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if p, ok := strings.CutPrefix(line, "module "); ok {
			return strings.TrimSpace(p)
		}
	}
	t.Fatal("go.mod has no module line")
	return ""
}

// ignorePattern is one .dockerignore line: a cleaned pattern and whether it starts with "!".
type ignorePattern struct {
	glob   string
	negate bool
}

func readDockerignore(t *testing.T, file string) []ignorePattern {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ps []ignorePattern
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := ignorePattern{}
		if p.negate = strings.HasPrefix(line, "!"); p.negate {
			line = line[1:]
		}
		p.glob = path.Clean(strings.TrimPrefix(line, "/"))
		ps = append(ps, p)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return ps
}

// excluded applies the patterns as Docker does: the last pattern that matches the file, or
// one of the folders it is in, decides; "**" matches any number of folders.
func excluded(ps []ignorePattern, file string) bool {
	out := false
	for _, p := range ps {
		for f := file; f != "."; f = path.Dir(f) {
			if globMatch(strings.Split(p.glob, "/"), strings.Split(f, "/")) {
				out = !p.negate
				break
			}
		}
	}
	return out
}

// globMatch matches path elements against pattern elements, "**" standing for any number
// of elements and the rest as path.Match reads them.
func globMatch(pattern, name []string) bool {
	if len(pattern) == 0 {
		return len(name) == 0
	}
	if pattern[0] == "**" {
		for i := 0; i <= len(name); i++ {
			if globMatch(pattern[1:], name[i:]) {
				return true
			}
		}
		return false
	}
	if len(name) == 0 {
		return false
	}
	ok, err := path.Match(pattern[0], name[0])
	return err == nil && ok && globMatch(pattern[1:], name[1:])
}
