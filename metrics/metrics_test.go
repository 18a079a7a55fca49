package metrics

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// written is what r writes, without the Go runtime's figures.
func written(t *testing.T, r *Registry) string {
	t.Helper()
	var b strings.Builder
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	out, _, _ := strings.Cut(b.String(), "# HELP go_goroutines")
	return out
}

func TestExposition(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	a := r.Counter("app_requests_total", "Requests.\nOn two lines, with a \\.", "route", "/health", "status", "200")
	b := r.Counter("app_requests_total", "ignored: the family has its help", "route", `/a"b\c`+"\n", "status", "404")
	r.Gauge("app_open", "Open now.", func() float64 { return 2.5 })
	r.CounterFunc("app_dropped_total", "Dropped.", func() uint64 { return 7 })
	h := r.Histogram("app_seconds", "Durations.", []time.Duration{time.Millisecond, time.Second}, "route", "/x")
	a.Inc()
	a.Add(2)
	b.Inc()
	h.Observe(500 * time.Microsecond)
	h.Observe(time.Millisecond) // on the bound: counted in it (le)
	h.Observe(2 * time.Second)
	want := `# HELP app_requests_total Requests.\nOn two lines, with a \\.
# TYPE app_requests_total counter
app_requests_total{route="/health",status="200"} 3
app_requests_total{route="/a\"b\\c\n",status="404"} 1
# HELP app_open Open now.
# TYPE app_open gauge
app_open 2.5
# HELP app_dropped_total Dropped.
# TYPE app_dropped_total counter
app_dropped_total 7
# HELP app_seconds Durations.
# TYPE app_seconds histogram
app_seconds_bucket{route="/x",le="0.001"} 2
app_seconds_bucket{route="/x",le="1"} 2
app_seconds_bucket{route="/x",le="+Inf"} 3
app_seconds_sum{route="/x"} 2.0015
app_seconds_count{route="/x"} 3
`
	if got := written(t, r); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestRuntimeFigures(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	if _, err := NewRegistry().WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "go_memstats_heap_inuse_bytes", "go_gc_cycles_total",
		"go_gc_cpu_seconds_total", "go_gc_gomemlimit_bytes", "go_memstats_stack_inuse_bytes"} {
		if !strings.Contains(b.String(), "\n"+name+" ") {
			t.Errorf("no %s in:\n%s", name, b.String())
		}
	}
}

// TestRegistrationMistakes checks that a mistake in a metric's definition stops the
// program when it is registered, at start-up, with a message naming it.
func TestRegistrationMistakes(t *testing.T) {
	t.Parallel()
	for name, register := range map[string]func(r *Registry){
		"a counter without _total": func(r *Registry) { r.Counter("app_requests", "") },
		"a bad name":               func(r *Registry) { r.Gauge("app-open", "", func() float64 { return 0 }) },
		"a name starting with 0":   func(r *Registry) { r.Gauge("0app", "", func() float64 { return 0 }) },
		"a bad label name":         func(r *Registry) { r.Counter("a_total", "", "the route", "x") },
		"a reserved label name":    func(r *Registry) { r.Counter("a_total", "", "__name__", "x") },
		"an odd label list":        func(r *Registry) { r.Counter("a_total", "", "route") },
		"a series twice": func(r *Registry) {
			r.Counter("a_total", "", "route", "x")
			r.Counter("a_total", "", "route", "x")
		},
		"two types, one name": func(r *Registry) {
			r.Counter("a_total", "")
			r.Gauge("a_total", "", func() float64 { return 0 }, "x", "y")
		},
		"bounds not ascending": func(r *Registry) { r.Histogram("a_seconds", "", []time.Duration{time.Second, time.Millisecond}) },
	} {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.HasPrefix(msg, "metrics: ") {
					t.Errorf("%s: recovered %q, want a panic that names the mistake", name, msg)
				}
			}()
			register(NewRegistry())
		}()
	}
}

// TestConcurrentCounting counts from many goroutines while the registry is written.
func TestConcurrentCounting(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	c := r.Counter("n_total", "")
	h := r.Histogram("d_seconds", "", DurationBuckets)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				c.Inc()
				h.Observe(time.Millisecond)
			}
		})
	}
	wg.Go(func() { written(t, r) })
	wg.Wait()
	if out := written(t, r); c.Value() != 8000 || !strings.Contains(out, "d_seconds_count 8000\n") || !strings.Contains(out, `d_seconds_bucket{le="+Inf"} 8000`) {
		t.Errorf("counted %d, wrote:\n%s", c.Value(), out)
	}
}

// BenchmarkCount is the cost of counting a request: a counter and a histogram.
func BenchmarkCount(b *testing.B) {
	r := NewRegistry()
	c := r.Counter("n_total", "")
	h := r.Histogram("d_seconds", "", DurationBuckets)
	b.ReportAllocs()
	for b.Loop() {
		c.Inc()
		h.Observe(3 * time.Microsecond)
	}
}
