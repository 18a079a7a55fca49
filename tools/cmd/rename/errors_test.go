package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		args []string // after -root ROOT, unless noRoot
		want string   // in the message
	}{
		"no flags":        {nil, "missing -module and -name"},
		"missing module":  {[]string{"-name", "svc"}, "missing -module"},
		"missing name":    {[]string{"-module", "example.com/team/svc"}, "missing -name"},
		"empty name":      {[]string{"-module", "example.com/team/svc", "-name", ""}, "missing -name"},
		"empty module":    {[]string{"-module", "", "-name", "svc"}, "missing -module"},
		"bad module":      {[]string{"-module", "Example.com/x y", "-name", "svc"}, `-module "Example.com/x y" is not a valid Go module path`},
		"module no dot":   {[]string{"-module", "svc", "-name", "svc"}, `-module "svc" is not a valid Go module path`},
		"upper-case name": {[]string{"-module", "example.com/team/svc", "-name", "Svc"}, `-name "Svc" is not a valid name`},
		"leading dash":    {[]string{"-module", "example.com/team/svc", "-name=-svc"}, `-name "-svc" is not a valid name`},
		"trailing dash":   {[]string{"-module", "example.com/team/svc", "-name", "svc-"}, `-name "svc-" is not a valid name`},
		"underscore":      {[]string{"-module", "example.com/team/svc", "-name", "my_svc"}, `-name "my_svc" is not a valid name`},
		"leading digit":   {[]string{"-module", "example.com/team/svc", "-name", "1svc"}, `-name "1svc" is not a valid name`},
		"too long":        {[]string{"-module", "example.com/team/svc", "-name", strings.Repeat("a", 64)}, "is not a valid name"},
		"stray argument":  {[]string{"-module", "example.com/team/svc", "-name", "svc", "extra"}, `unexpected argument "extra"`},
		"unknown flag":    {[]string{"-nope"}, "flag provided but not defined: -nope"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := writeTree(t, fill(tmplNames))
			before := snapshot(t, root)
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"-root", root}, tc.args...), &stdout, &stderr)
			msg := stderr.String()
			if code != 2 || !strings.HasPrefix(msg, "rename: ") || !strings.Contains(msg, tc.want) ||
				!strings.Contains(msg, "for example") || strings.Count(msg, "\n") != 1 || stdout.Len() > 0 {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and one line with %q and an example", code, stdout.String(), msg, tc.want)
			}
			diffTrees(t, name, snapshot(t, root), before)
		})
	}

	var stdout, stderr bytes.Buffer
	if code := run([]string{"-module", "example.com/team/svc", "-name", "svc"}, &stdout, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "missing -root") {
		t.Errorf("no -root: exit %d, stderr %q; want 2 and the missing flag", code, stderr.String())
	}
}

func TestValidNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"a", "svc", "my-svc", "s3", "a-b-c", strings.Repeat("a", 63)} {
		if err := checkName(name); err != nil {
			t.Errorf("checkName(%q): %v", name, err)
		}
	}
	for _, mod := range []string{"example.com/team/svc", "github.com/me/getsmall", "example.com/svc/v2"} {
		if err := checkModule(mod); err != nil {
			t.Errorf("checkModule(%q): %v", mod, err)
		}
	}
}

func TestRuntimeErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		edit map[string]string // files to replace ("" removes) in the template tree
		want string
	}{
		"no NAME_BASE line": {map[string]string{"Makefile": "NAME := getsmall\n"}, "no line \"NAME_BASE := <name>\""},
		"NAME_BASE not a name": {map[string]string{"Makefile": "NAME_BASE := $(X)\n"},
			`NAME_BASE "$(X)" is not a valid name`},
		"no Makefile":    {map[string]string{"Makefile": ""}, "reading the current name"},
		"no module line": {map[string]string{"go.mod": "go 1.26.0\n"}, "no module line"},
		"no go.mod":      {map[string]string{"go.mod": ""}, "reading the current module path"},
		"target exists": {map[string]string{"cmd/svc/README": "mine\n"},
			"cannot rename cmd/getsmall to cmd/svc: cmd/svc already exists; nothing changed"},
		"file target exists": {map[string]string{"loadtest/internal/parse/testdata/strace-svc.txt": "x\n"},
			"strace-svc.txt already exists"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			files := fill(tmplNames)
			for p, data := range tc.edit {
				if data == "" {
					delete(files, p)
				} else {
					files[p] = entry{data, 0o644}
				}
			}
			root := writeTree(t, files)
			before := snapshot(t, root)
			var stdout, stderr bytes.Buffer
			code := run([]string{"-root", root, "-module", "example.com/team/svc", "-name", "svc"}, &stdout, &stderr)
			if code != 1 || !strings.Contains(stderr.String(), tc.want) || strings.Count(stderr.String(), "\n") != 1 || stdout.Len() > 0 {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1 and one line with %q", code, stdout.String(), stderr.String(), tc.want)
			}
			diffTrees(t, name, snapshot(t, root), before)
		})
	}

	var stdout, stderr bytes.Buffer
	missing := filepath.Join(t.TempDir(), "nope")
	if code := run([]string{"-root", missing, "-module", "example.com/team/svc", "-name", "svc"}, &stdout, &stderr); code != 1 {
		t.Errorf("missing root: exit %d, stderr %q; want 1", code, stderr.String())
	}
}

func TestPlanCollision(t *testing.T) {
	t.Parallel()
	// Renaming a to b maps both a-b and b-a to b-b: neither exists yet, so only the
	// check across planned targets can catch it.
	files := map[string]entry{
		"go.mod":   {"module example.com/a\n", 0o644},
		"Makefile": {"NAME_BASE := a\n", 0o644},
		"x/a-b":    {"1\n", 0o644},
		"x/b-a":    {"2\n", 0o644},
	}
	root := writeTree(t, files)
	var stdout, stderr bytes.Buffer
	code := run([]string{"-root", root, "-module", "example.com/b", "-name", "b"}, &stdout, &stderr)
	if want := "both x/a-b and x/b-a would be renamed to x/b-b"; code != 1 || !strings.Contains(stderr.String(), want) {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr.String(), want)
	}
	diffTrees(t, "collision", snapshot(t, root), withDirs(files))
}

func TestReplace(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		want     names
		in, out  string
		unchange bool
	}{
		"module":             {names{"example.com/team/svc", "svc"}, "import \"github.com/getsmall/getsmall/router\"", "import \"example.com/team/svc/router\"", false},
		"module holds name":  {names{"github.com/me/getsmall", "svc"}, "github.com/getsmall/getsmall getsmall", "github.com/me/getsmall svc", false},
		"new name holds old": {names{"example.com/x", "getsmall-two"}, "getsmall getsmall-floppy", "getsmall-two getsmall-two-floppy", false},
		"boundaries": {names{"example.com/x", "svc"}, "getsmall-floppy strace-getsmall.txt /getsmall getsmall:dev getsmall_x [getsmall]",
			"svc-floppy strace-svc.txt /svc svc:dev svc_x [svc]", false},
		"whole text":           {names{"example.com/x", "svc"}, "getsmall", "svc", false},
		"upper":                {names{"example.com/x", "my-svc"}, "GETSMALL_K8S_STATE=GETSMALL", "MY_SVC_K8S_STATE=MY_SVC", false},
		"not words":            {names{"example.com/x", "svc"}, "xgetsmall getsmall2 VsGetsmall report.Getsmall GETSMALLX 2GETSMALL", "", true},
		"empty":                {names{"example.com/x", "svc"}, "", "", true},
		"module as plain text": {names{"example.com/x", "svc"}, "github.com/getsmall/getsmall2", "example.com/x2", false},
	} {
		r := newReplacer(tmplNames, tc.want)
		in := []byte(tc.in)
		got := r.replace(in)
		if tc.unchange {
			tc.out = tc.in
		}
		if string(got) != tc.out {
			t.Errorf("%s: replace(%q) = %q, want %q", name, tc.in, got, tc.out)
		}
		if tc.unchange && len(in) > 0 && &got[0] != &in[0] {
			t.Errorf("%s: unchanged text was copied", name)
		}
	}
}
