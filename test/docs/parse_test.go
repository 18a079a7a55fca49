package docs

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// ---- The parsing, on tiny inputs -------------------------------------------------------------

func TestSlug(t *testing.T) {
	t.Parallel()
	for heading, want := range map[string]string{
		"What it answers":               "what-it-answers",
		"Sizes, on every platform":      "sizes-on-every-platform",
		"`getsmall healthcheck`":        "getsmall-healthcheck",
		"On a Raspberry Pi (32-bit)":    "on-a-raspberry-pi-32-bit",
		"A - B":                         "a---b",
		"snake_case and CAPS":           "snake_case-and-caps",
		"See [the page](docs/x.md) now": "see-the-page-now",
		"Größe: 1,474,560 bytes!":       "größe-1474560-bytes",
	} {
		if got := slug(heading); got != want {
			t.Errorf("slug(%q) = %q, want %q", heading, got, want)
		}
	}
}

func TestAnchors(t *testing.T) {
	t.Parallel()
	p := parse("# Title\n## Results\n### Results\n## Results ##\n```\n## not a heading\n```\n## `make` it\n")
	want := []string{"title", "results", "results-1", "results-2", "make-it"}
	if got := sortedAnchors(p); !slices.Equal(got, sortedCopy(want)) {
		t.Errorf("anchors = %q, want %q", got, sortedCopy(want))
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, code string
		want       []string
	}{
		{"targets, options and variables", "make -C x build VAR=1 test", []string{"build", "test"}},
		{"-j with a count, -s", "make -j 2 -s lint", []string{"lint"}},
		{"sudo and a leading variable", "sudo GOFLAGS=-v make k8s-up", []string{"k8s-up"}},
		{"a chain", "make build && ./bin/x; make size | tee log", []string{"build", "size"}},
		{"inside $( ) in double quotes", `eval "$(make -s k8s-env)"`, []string{"k8s-env"}},
		{"a quoted value with spaces", `make loadtest LT_ARGS="-variant mine=/x y" soak`, []string{"loadtest", "soak"}},
		{"a continued line", "make verify COSIGN_PUB=c.pub \\\n  VERIFY_IMAGES=x dist", []string{"verify", "dist"}},
		{"a comment", "make build   # then make nosuch", []string{"build"}},
		{"not a command", "apt-get install make", nil},
		{"make alone", "make", nil},
		{"an argument, not a command", "echo make test", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, c := range commands(tc.code) {
				got = append(got, makeTargets(c.words)...)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("targets of %q = %q, want %q", tc.code, got, tc.want)
			}
		})
	}
}

func TestCodeSpans(t *testing.T) {
	t.Parallel()
	for text, want := range map[string][]string{
		"a `b` c ``d`e`` f":     {"`b`", "``d`e``"},
		"`open, never closed":   nil,
		"`` ` `` and `x`":       {"`` ` ``", "`x`"},
		"``a` then `b`":         {"` then `"}, // as CommonMark: the unclosed `` is literal
		"`wraps\nlines` in one": {"`wraps\nlines`"},
	} {
		var got []string
		for _, s := range codeSpans(text) {
			got = append(got, text[s[0]:s[1]])
		}
		if !slices.Equal(got, want) {
			t.Errorf("codeSpans(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	src := "# T\n" + // 1
		"Prose: make it yours, [a](a.md) and `make nosuch`.\n" + // 2
		"\n" + // 3
		"A span `[not](a link)` and one that\n" + // 4
		"wraps: `make\n" + // 5
		"size`. ![img](x.svg \"title\")\n" + // 6
		"```sh\n" + // 7
		"make build \\\n" + // 8
		"  VAR=1 test   # [no](link.md)\n" + // 9
		"```\n" + // 10
		"[ref]: <b.md#x>\n" // 11
	p := parse(src)
	wantLinks := []ref{{2, "a.md"}, {6, "x.svg"}, {11, "b.md#x"}}
	if !slices.Equal(p.links, wantLinks) {
		t.Errorf("links = %v, want %v", p.links, wantLinks)
	}
	wantTargets := []ref{{2, "nosuch"}, {5, "size"}, {8, "build"}, {8, "test"}}
	if !slices.Equal(p.targets, wantTargets) {
		t.Errorf("targets = %v, want %v", p.targets, wantTargets)
	}
}

func TestParseDatabase(t *testing.T) {
	t.Parallel()
	db := "# variables\n" +
		"VERSION := v1\n" +
		"UPX_FLAGS = --brute\n" +
		"k8s-build: GOTOOLCHAIN := auto\n" +
		"# Not a target:\n" +
		"mk/build.mk:\n" +
		".PHONY: build test\n" +
		"build: \n" +
		"test-docker: offline-bases\n" +
		"\tcd test && go test\n" +
		"print-%:\n"
	ts := parseDatabase(db)
	for target, want := range map[string]bool{
		"build": true, "test-docker": true, "k8s-build": false, "print-VERSION": true,
		"print-": false, "VERSION": false, "UPX_FLAGS": false, "test": false, "nosuch": false,
	} {
		if got := ts.has(target); got != want {
			t.Errorf("has(%q) = %v, want %v", target, got, want)
		}
	}
}

func TestChecks(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"README.md": {Data: []byte("# Top\n## Run it\n## Run it\n" +
			"[ok](docs/a.md#limits) [dir](docs) [self](#run-it-1) [web](https://x.example/y) [mail](mailto:a@b)\n" +
			"[file](docs/missing.md) [anchor](docs/a.md#nope) [self](#run-it-2) [go](cmd/main.go#L3) [up](../x.md)\n" +
			"`make build` `make nosuch` and `make -C x build VAR=1 test`\n")},
		"docs/a.md":   {Data: []byte("# A\n[back](../README.md#run-it)\n## Limits\n")},
		"cmd/main.go": {Data: []byte("package main\n")},
	}
	pages := readPages(t, fsys)
	var got []string
	for _, name := range sortedKeys(pages) {
		got = append(got, checkLinks(fsys, name, pages)...)
		got = append(got, checkTargets(name, pages[name], targetSet{names: map[string]bool{"build": true, "test": true}})...)
	}
	want := []string{
		`README.md:5: link "docs/missing.md": docs/missing.md does not exist`,
		`README.md:5: link "docs/a.md#nope": docs/a.md has no heading with the anchor #nope`,
		`README.md:5: link "#run-it-2": README.md has no heading with the anchor #run-it-2`,
		`README.md:5: link "../x.md" leaves the repository`,
		`README.md:6: make nosuch: the Makefile has no target "nosuch" (make help lists them)`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func sortedAnchors(p page) []string {
	var a []string
	for k := range p.anchors {
		a = append(a, k)
	}
	slices.Sort(a)
	return a
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
