package main

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/getsmall/getsmall/internal/budget"
	"github.com/getsmall/getsmall/memlimit"
)

// TestIdleRSSBudget holds the resident memory of the real binary, serving and idle after
// one request, to budgets.txt: anonymous memory (heap, stacks) plus the binary's pages.
func TestIdleRSSBudget(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("resident memory is read from /proc, which only Linux has")
	}
	budgets, err := budget.Load(repoRoot + "/budgets.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, err := budgets.Get("idle-rss-bytes")
	if err != nil {
		t.Fatal(err)
	}
	p := start(t, nil, "-addr", "127.0.0.1:0")
	if status, _, _ := do(t, "GET", "http://"+p.addr+"/health"); status != 200 {
		t.Fatalf("GET /health: %d", status)
	}
	anon, file, err := memlimit.Resident("/", strconv.Itoa(p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("idle after one request: %d bytes resident (%d anonymous, %d file-backed)", anon+file, anon, file)
	if err := b.Check(anon + file); err != nil {
		t.Error(err)
	}
}
