package main

import (
	"testing"
)

func TestGofmtKept(t *testing.T) {
	t.Parallel()
	files := map[string]entry{
		"go.mod":   {"module github.com/getsmall/getsmall\n", 0o644},
		"Makefile": {"NAME_BASE := getsmall\n", 0o644},
		// gofmt-clean before: realigned after.
		"clean.go": {"package x\n\nvar m = map[string]int{\n\t\"getsmall\": 1,\n\t\"x\":        2,\n}\n", 0o644},
		// Not gofmt-clean before: rewritten, not reformatted.
		"messy.go": {"package x\nvar m = map[string]int{\n\t\"getsmall\": 1,\n\t\"x\":        2,\n}\n", 0o644},
		// Does not parse: rewritten only.
		"broken.go": {"package x\n\t\"getsmall\":  1,\n", 0o644},
		// Not Go: never reformatted.
		"notes.txt": {"package x\n\nvar m = map[string]int{\n\t\"getsmall\": 1,\n\t\"x\":        2,\n}\n", 0o644},
	}
	root := writeTree(t, files)
	runOK(t, "-root", root, "-module", "example.com/team/svc", "-name", "svc")
	want := map[string]entry{
		"go.mod":    {"module example.com/team/svc\n", 0o644},
		"Makefile":  {"NAME_BASE := svc\n", 0o644},
		"clean.go":  {"package x\n\nvar m = map[string]int{\n\t\"svc\": 1,\n\t\"x\":   2,\n}\n", 0o644},
		"messy.go":  {"package x\nvar m = map[string]int{\n\t\"svc\": 1,\n\t\"x\":        2,\n}\n", 0o644},
		"broken.go": {"package x\n\t\"svc\":  1,\n", 0o644},
		"notes.txt": {"package x\n\nvar m = map[string]int{\n\t\"svc\": 1,\n\t\"x\":        2,\n}\n", 0o644},
	}
	diffTrees(t, "gofmt", snapshot(t, root), want)
}
