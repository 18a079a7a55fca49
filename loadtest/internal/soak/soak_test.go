package soak

import (
	"bufio"
	"encoding/xml"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

// TestGoroutines reads a real dump: getsmall 1.26 after SIGQUIT with GOTRACEBACK=all,
// 0.2 s after one request, so one idle worker is still there. The runtime's goroutines
// (GC, finalizers, the signal g0) are not counted.
func TestGoroutines(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/sigquit.txt")
	if err != nil {
		t.Fatal(err)
	}
	got := Goroutines(string(b))
	want := map[string]int{
		"main": 1,
		"github.com/getsmall/getsmall/server.(*Server).Run": 1,
		"github.com/valyala/fasthttp.(*workerPool).Start":   1,
		"github.com/valyala/fasthttp.updateServerDate":      1,
		"os/signal.Notify.func1.1":                          1,
		"github.com/valyala/fasthttp.(*workerPool).getCh":   1,
	}
	if len(got) != len(want) {
		t.Fatalf("Goroutines = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Goroutines[%q] = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	// A worker left behind shows up under its creator.
	extra := string(b) + "\n\ngoroutine 99 gp=0x1 m=nil [IO wait]:\nx()\ncreated by github.com/valyala/fasthttp.(*workerPool).getCh in goroutine 21\n\tx.go:1\n"
	if g := Goroutines(extra); g["github.com/valyala/fasthttp.(*workerPool).getCh"] != 2 || total(g) != total(want)+1 {
		t.Errorf("with one more worker: %v", g)
	}
}

func TestPlateau(t *testing.T) {
	t.Parallel()
	series := func(f func(i int) int64) []Sample {
		s := make([]Sample, 40)
		for i := range s {
			s[i] = Sample{At: time.Duration(i) * time.Second, Anon: f(i)}
		}
		return s
	}
	tests := map[string]struct {
		samples []Sample
		want    bool
	}{
		"flat after warm-up":       {series(func(i int) int64 { return 4<<20 + int64(min(i, 5))<<18 }), true},
		"noise within 10%":         {series(func(i int) int64 { return 4<<20 + int64(i%3)<<17 }), true},
		"a leak of 64 KiB per s":   {series(func(i int) int64 { return 4<<20 + int64(i)<<16 }), false},
		"too short to tell":        {series(func(int) int64 { return 1 })[:5], false},
		"dropping after the peaks": {series(func(i int) int64 { return 8<<20 - int64(i)<<16 }), true},
	}
	for name, tc := range tests {
		if _, ok := Plateau(tc.samples); ok != tc.want {
			t.Errorf("%s: Plateau = %v, want %v", name, ok, tc.want)
		}
	}
}

func TestReadAnswer(t *testing.T) {
	t.Parallel()
	stream := "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}" +
		"HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n" + // the answer to a HEAD
		"HTTP/1.1 404 Not Found\r\ncontent-length: 14\r\n\r\n404 not found\n" +
		"SSH-2.0-nope\r\n"
	br := bufio.NewReader(strings.NewReader(stream))
	for i, want := range []struct {
		head   bool
		status int
	}{{false, 200}, {true, 200}, {false, 404}, {false, -1}} {
		status, err := readAnswer(br, want.head)
		if status != want.status || (want.status > 0) != (err == nil) {
			t.Errorf("answer %d: %d, %v; want %d", i, status, err, want.status)
		}
	}
	var c Counts
	for _, s := range []int{200, 200, 503, 0, -1, 999} {
		c.add(s)
	}
	if got := c.ByStatus(); got[200] != 2 || got[503] != 1 || c.Total() != 3 || c.failed.Load() != 1 || c.notHTTP.Load() != 2 {
		t.Errorf("counts %v, total %d, failed %d, not HTTP %d", got, c.Total(), c.failed.Load(), c.notHTTP.Load())
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	flat := make([]Sample, 20)
	for i := range flat {
		flat[i] = Sample{Anon: 3 << 20, FDs: 40}
	}
	g := map[string]int{"main": 1, "w": 1}
	good := func() *Result {
		return &Result{
			Status:   map[int]int64{200: 5, 400: 1, 408: 1, 431: 1, 413: 1},
			Idle:     Sample{FDs: 10},
			After:    Sample{FDs: 10},
			Samples:  flat,
			Routines: map[string]map[string]int{"soaked": g, "twin": g},
			Checks:   map[string]bool{},
		}
	}
	r := good()
	r.check()
	if len(r.Problems) != 0 {
		t.Fatalf("a clean run has problems: %v", r.Problems)
	}
	for name, spoil := range map[string]func(*Result){
		"only documented statuses":      func(r *Result) { r.Status[302] = 1 },
		"file descriptors back to idle": func(r *Result) { r.After.FDs = 11 },
		"goroutines back to idle":       func(r *Result) { r.Routines["soaked"] = map[string]int{"main": 1, "w": 2} },
		"every kind of client answered": func(r *Result) { delete(r.Status, 408) },
	} {
		r := good()
		spoil(r)
		r.check()
		if r.Checks[name] || len(r.Problems) != 1 {
			t.Errorf("%s: checks %v, problems %v; want that check alone to fail", name, r.Checks, r.Problems)
		}
	}
}

func TestReport(t *testing.T) {
	t.Parallel()
	var load, idle []Sample
	for i := range 30 {
		load = append(load, Sample{At: time.Duration(i) * time.Second, Anon: int64(2+i%3) << 20, FDs: 40 + i%5})
	}
	for i := range 5 {
		idle = append(idle, Sample{At: time.Duration(30+i) * time.Second, Anon: 3 << 20, FDs: 10})
	}
	svg := Chart(load, idle)
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Errorf("chart is not well-formed XML: %v", err)
	}
	if n := strings.Count(svg, "<polyline"); n != 4 {
		t.Errorf("chart has %d lines, want 4 (memory and descriptors, under load and idle)", n)
	}
	r := &Result{Started: time.Unix(0, 0), Took: time.Minute, Answers: 6e6, Status: map[int]int64{200: 6e6},
		Samples: load, Settle: idle, Checks: map[string]bool{"a": true, "b": false}, Problems: []string{"b failed"}}
	md := r.Markdown()
	for _, want := range []string{"6000000 answers in 60 s (100000/s)", "| a | pass |", "| b | **fail** |", "- b failed", "| 200 | 6000000 |", "chart.svg"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

func TestNumbers(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]float64{0: 1, 0.3: 0.5, 1: 1, 1.2: 2, 4.9: 5, 7: 10, 12: 20, 4100: 5000} {
		if got := niceCeil(v); math.Abs(got-want) > 1e-9 {
			t.Errorf("niceCeil(%v) = %v, want %v", v, got, want)
		}
	}
	if s := Slope([]float64{0, 100, 200, 300}, []float64{1000, 3000, 5000, 7000}); s != 20 {
		t.Errorf("Slope = %v, want 20", s)
	}
	ss := "ESTAB 0 0 127.0.0.1:18911 127.0.0.1:48514\n\t skmem:(r6976,rb8192,t0,tb8192,f4480,w33600,o0,bl0,d3)\n" +
		"ESTAB 0 0 127.0.0.1:18911 127.0.0.1:48510\n\t skmem:(r0,rb8192,t0,tb8192,f0,w0,o0,bl0,d0)\n"
	if got := skmemBytes(ss); got != 6976+4480+33600 {
		t.Errorf("skmemBytes = %d, want %d", got, 6976+4480+33600)
	}
}
