package parse

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func same(a, b Run) bool {
	return a.Requests == b.Requests && near(a.RPS, b.RPS) && near(a.P50Ms, b.P50Ms) &&
		near(a.P99Ms, b.P99Ms) && a.Errors == b.Errors && a.Non2xx == b.Non2xx && a.ErrorDetail == b.ErrorDetail
}

func TestHey(t *testing.T) {
	t.Parallel()
	tests := map[string]Run{
		"hey.txt":     {Requests: 2000, RPS: 23959.4745, P50Ms: 1.4, P99Ms: 9.0},
		"hey-404.txt": {Requests: 200, RPS: 0, Non2xx: 200},
		"hey-refused.txt": {RPS: 12017.0498, Errors: 20,
			ErrorDetail: `Get "http://127.0.0.1:18080/health": dial tcp 127.0.0.1:18080: connect: connection refused`},
	}
	for name, want := range tests {
		got, err := Hey(fixture(t, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if name == "hey-404.txt" { // its rate and latencies are whatever that run measured
			want.RPS, want.P50Ms, want.P99Ms = got.RPS, got.P50Ms, got.P99Ms
			if got.RPS <= 0 || got.P99Ms < got.P50Ms {
				t.Errorf("%s: implausible %+v", name, got)
			}
		}
		if !same(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
}

func TestHeyRejectsOtherText(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "Summary:\n  Total: 1 secs\n", "Requests/sec: 10\n"} {
		if _, err := Hey(s); err == nil {
			t.Errorf("Hey(%q) accepted", s)
		}
	}
}

func TestWrk(t *testing.T) {
	t.Parallel()
	tests := map[string]Run{
		"wrk.txt":        {Requests: 71821, RPS: 71735.13, P50Ms: 0.29, P99Ms: 4.48},
		"wrk-non2xx.txt": {Requests: 71429, RPS: 71372.69, P50Ms: 0.266, P99Ms: 4.18, Non2xx: 71429},
		"wrk-errors.txt": {Requests: 71821, RPS: 71735.13, P50Ms: 0.29, P99Ms: 4.48, Errors: 9,
			ErrorDetail: "Socket errors: connect 0, read 2, write 0, timeout 7"},
	}
	for name, want := range tests {
		got, err := Wrk(fixture(t, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !same(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
	if _, err := Wrk("unable to connect to 127.0.0.1:18080 Connection refused\n"); err == nil {
		t.Error("Wrk accepted a failed run")
	}
}

func TestStrace(t *testing.T) {
	t.Parallel()
	got, err := Strace(fixture(t, "strace-getsmall.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Syscall{
		"write":     {Name: "write", Calls: 20000},
		"read":      {Name: "read", Calls: 37631, Errors: 17624},
		"accept4":   {Name: "accept4", Calls: 36, Errors: 2},
		"nanosleep": {Name: "nanosleep", Calls: 1931},
	}
	if len(got) != 18 {
		t.Errorf("%d rows, want 18 (the total row left out)", len(got))
	}
	for _, s := range got {
		if w, ok := want[s.Name]; ok && s != w {
			t.Errorf("got %+v, want %+v", s, w)
		}
		if s.Name == "total" {
			t.Error("the total row was kept")
		}
	}
	for _, bad := range []string{"", "strace: Process 1 attached\n", "% time seconds usecs/call calls errors syscall\n 1.0 0.1 3 x 2 read\n"} {
		if _, err := Strace(bad); err == nil {
			t.Errorf("Strace(%q) accepted", bad)
		}
	}
}

func TestOpenLoop(t *testing.T) {
	t.Parallel()
	got, err := OpenLoop("a warning line\n" + fixture(t, "openloop.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := Run{Requests: 60000, RPS: 29948.088223458162, P50Ms: 0.081143, P99Ms: 0.288572}
	if !same(got, want) || got.TargetRPS != 30000 || got.P999Ms != 1.298730 || got.MaxMs != 3.201206 || got.LateP99Ms != 0.01478 {
		t.Errorf("got %+v", got)
	}
	for _, bad := range []string{"", "not json", `{"requests":10}`, `{"target_rps":100}`} {
		if _, err := OpenLoop(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestInitTrace(t *testing.T) {
	t.Parallel()
	inits, err := InitTrace(fixture(t, "inittrace.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inits) != 6 {
		t.Fatalf("%d inits, want 6 (the server's own line skipped): %+v", len(inits), inits)
	}
	brrr := Init{Package: "github.com/molecule-man/go-brrr", AtMs: 2.4, ClockMs: 1.3, Bytes: 131072, Allocs: 3}
	if inits[4] != brrr {
		t.Errorf("got %+v, want %+v", inits[4], brrr)
	}
	if _, err := InitTrace("getsmall: serving on :8080\n"); err == nil {
		t.Error("a stderr without init lines parsed")
	}
}
