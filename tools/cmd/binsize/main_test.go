package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for name, args := range map[string][]string{
		"unknown flag":     {"-nope"},
		"two packages":     {"./a", "./b"},
		"bad regexp":       {"-why", "("},
		"top below one":    {"-top", "0"},
		"top not a number": {"-top", "x"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("%s: exit %d, stderr %q; want 2 and a message", name, code, stderr.String())
		}
	}
}

// TestReport measures the small program in tools/binsize/testdata for linux/amd64.
func TestReport(t *testing.T) {
	t.Setenv("GOOS", "linux")
	t.Setenv("GOARCH", "amd64")
	var stdout, stderr bytes.Buffer
	code := run([]string{"-top", "5", "-why", `^main\.table$`, "../../binsize/testdata/tiny"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{".gopclntab", "runtime", "no reflect Method/MethodByName caller", "why main.table:\n  main.table\n  main.main\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"-why", "^nothing$", "../../binsize/testdata/tiny"}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "no reachable symbol") {
		t.Errorf("-why matching nothing: exit %d, stderr %q; want 1 and the reason", code, stderr.String())
	}
}
