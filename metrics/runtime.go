package metrics

import (
	"runtime"
	"runtime/debug"
	"strconv"
)

// appendRuntime appends the Go runtime's memory, garbage collector and goroutines, under
// the names Prometheus's own Go client gives them, so that existing dashboards read them.
// ReadMemStats stops the world for a few microseconds, once per scrape.
func appendRuntime(b []byte) []byte {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	for _, g := range []struct {
		name, help, kind string
		value            uint64
	}{
		{"go_goroutines", "Goroutines that currently exist.", "gauge", uint64(runtime.NumGoroutine())},
		{"go_memstats_alloc_bytes", "Bytes of allocated heap objects.", "gauge", m.HeapAlloc},
		{"go_memstats_heap_inuse_bytes", "Bytes in in-use heap spans.", "gauge", m.HeapInuse},
		{"go_memstats_heap_objects", "Allocated heap objects.", "gauge", m.HeapObjects},
		{"go_memstats_stack_inuse_bytes", "Bytes in stack spans: goroutine stacks.", "gauge", m.StackInuse},
		{"go_memstats_sys_bytes", "Bytes of memory obtained from the operating system.", "gauge", m.Sys},
		{"go_memstats_next_gc_bytes", "Heap size at which the next collection starts.", "gauge", m.NextGC},
		{"go_memstats_mallocs_total", "Heap objects allocated.", "counter", m.Mallocs},
		{"go_gc_cycles_total", "Completed garbage collection cycles.", "counter", uint64(m.NumGC)},
		{"go_gc_gomemlimit_bytes", "The Go runtime's soft memory limit (GOMEMLIMIT).", "gauge", uint64(max(debug.SetMemoryLimit(-1), 0))},
	} {
		b = append(b, "# HELP "+g.name+" "+g.help+"\n# TYPE "+g.name+" "+g.kind+"\n"+g.name+" "...)
		b = strconv.AppendUint(b, g.value, 10)
		b = append(b, '\n')
	}
	b = append(b, "# HELP go_gc_pause_seconds_total Time the world was stopped for garbage collection.\n"+
		"# TYPE go_gc_pause_seconds_total counter\ngo_gc_pause_seconds_total "...)
	return append(b, formatFloat(float64(m.PauseTotalNs)/1e9)+"\n"...)
}
