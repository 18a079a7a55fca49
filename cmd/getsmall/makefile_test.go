package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/getsmall/getsmall/internal/testmake"
)

// The make path a newcomer takes must work with the make and the tools macOS ships: GNU make
// 3.81, which parses every included .mk file, and BSD userland. These are what would break
// there.
var (
	// make 3.82 and later: parse errors for 3.81, so forbidden in every .mk file.
	newMakeSyntax = map[string]*regexp.Regexp{
		"::= (make 4.0)":            regexp.MustCompile(`(?m)^[^#\t]*\s::=`),
		"!= (make 4.0)":             regexp.MustCompile(`(?m)^[A-Za-z_][A-Za-z0-9_.-]*\s*!=`),
		"$(file ...) (make 4.0)":    regexp.MustCompile(`\$\(file\s`),
		"undefine (make 3.82)":      regexp.MustCompile(`(?m)^\s*undefine\s`),
		".ONESHELL (make 3.82)":     regexp.MustCompile(`(?m)^\.ONESHELL`),
		"define NAME = (make 3.82)": regexp.MustCompile(`(?m)^define\s+\S+\s+[:!?+]?=`),
		"private (make 3.82)":       regexp.MustCompile(`(?m)^\s*private\s`),
	}
	// GNU-only tools and options: forbidden in what build, test, run and clean run.
	gnuOnly = map[string]*regexp.Regexp{
		"stat -c (BSD stat has -f)":       regexp.MustCompile(`\bstat\s+-c`),
		"sed -i (BSD sed needs a suffix)": regexp.MustCompile(`\bsed\s+(-\w*\s+)*-i`),
		"readlink -f":                     regexp.MustCompile(`\breadlink\s+-f`),
		"xargs -r":                        regexp.MustCompile(`\bxargs\s+(-\w+\s+)*-r`),
		"date -d":                         regexp.MustCompile(`\bdate\s+-d`),
		"sha256sum (macOS has shasum)":    regexp.MustCompile(`\bsha256sum\b`),
		"grep -P":                         regexp.MustCompile(`\bgrep\s+(-\w+\s+)*-\w*P`),
		"a GNU long option of a coreutil": regexp.MustCompile(`\b(cp|mv|rm|mkdir|ls|wc|cut|tr|head|tail|sort)\s+--\w`),
	}
)

func TestMakefileIsPortable(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(repoRoot, "*", "*.mk"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(repoRoot, "Makefile"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for what, re := range newMakeSyntax {
			if loc := re.FindIndex(data); loc != nil {
				t.Errorf("%s:%d: %s: GNU make 3.81, as macOS ships it, cannot parse the Makefile then", f, 1+strings.Count(string(data[:loc[0]]), "\n"), what)
			}
		}
	}
	out, err := testmake.Command(repoRoot, "-n", "build", "test", "run", "clean", "BIN_DIR="+t.TempDir()).CombinedOutput()
	if err != nil {
		t.Fatalf("make -n build test run clean: %v\n%s", err, out)
	}
	for what, re := range gnuOnly {
		if m := re.Find(out); m != nil {
			t.Errorf("make build, test, run or clean runs %q: %s, which macOS and the BSDs lack", m, what)
		}
	}
}
