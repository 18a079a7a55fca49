package study

import (
	"os"
	"testing"
)

func TestParseStatCPU(t *testing.T) {
	t.Parallel()
	// A command name with a space and a parenthesis, as the kernel prints it.
	stat := "4242 (get small) s) S 1 4242 4242 0 -1 4194560 120 0 0 0 250 75 0 0 20 0 3 0 100 1000 200"
	got, err := parseStatCPU(stat)
	if err != nil || got != 3.25 {
		t.Errorf("parseStatCPU = %v, %v; want 3.25", got, err)
	}
	for _, bad := range []string{"", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 x y"} {
		if _, err := parseStatCPU(bad); err == nil {
			t.Errorf("parseStatCPU(%q) accepted", bad)
		}
	}
}

func TestRSSOfThisProcess(t *testing.T) {
	t.Parallel()
	r, err := rss(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if r.AnonKB <= 0 || r.FileKB <= 0 {
		t.Errorf("rss = %+v: a Go test binary has both anonymous and file-backed pages", r)
	}
	if _, err := cpuSeconds(os.Getpid()); err != nil {
		t.Error(err)
	}
}
