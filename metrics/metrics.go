// Package metrics counts what the service does and writes it in the Prometheus text
// exposition format (version 0.0.4), which every Prometheus-compatible scraper reads. It is
// this small on purpose: counters, gauges read at scrape time, histograms of durations, and
// the Go runtime's own figures, in about 20 KB of binary where a general library costs 100 to
// 200 KB (docs/observability.md measures both). Counting is an atomic add, with no
// allocation and no lock, so the hot path stays at zero allocations with metrics on.
//
// A Registry holds every series. The serve command makes one and hands it to the routes
// (router.Options.Metrics), where a fork adds its own:
//
//	accepted := o.Metrics.Counter("beacon_orders_accepted_total", "Orders accepted.")
//	...
//	accepted.Inc()
//
// Names and labels are code, not input: an invalid name, or the same series registered
// twice, panics when it is registered, at start-up, where a test meets it first.
package metrics

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Registry is a set of metric families, written in the order they were first registered.
// It is safe for concurrent use; the zero value is not: use NewRegistry.
type Registry struct {
	mu       sync.Mutex
	families []*family
	byName   map[string]*family
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry { return &Registry{byName: map[string]*family{}} }

// family is one metric name: its help, its type and its series.
type family struct {
	name, help, kind string
	series           []series
}

// series is one set of label values and what writes its samples.
type series struct {
	labels string // rendered, {a="b",c="d"}, or empty
	write  func(b []byte, name, labels string) []byte
}

// Counter is a count that only goes up.
type Counter struct{ n atomic.Uint64 }

// Inc adds one.
func (c *Counter) Inc() { c.n.Add(1) }

// Add adds n.
func (c *Counter) Add(n uint64) { c.n.Add(n) }

// Value returns the count.
func (c *Counter) Value() uint64 { return c.n.Load() }

// Counter registers and returns a counter. labels are name, value pairs; a counter's name
// ends in _total, as Prometheus asks. A nil Registry is a sink: its counters count, and
// nothing writes them (the floppy build, which leaves the metrics out, has one).
func (r *Registry) Counter(name, help string, labels ...string) *Counter {
	if r == nil {
		return new(Counter)
	}
	if !strings.HasSuffix(name, "_total") {
		panic(fmt.Sprintf("metrics: counter %q: a counter's name ends in _total", name))
	}
	c := new(Counter)
	r.add(name, help, "counter", labels, func(b []byte, name, ls string) []byte {
		return sample(b, name, ls, strconv.FormatUint(c.Value(), 10))
	})
	return c
}

// CounterFunc registers a count kept elsewhere, read when the metrics are written. value
// must be safe to call from any goroutine and never go down.
func (r *Registry) CounterFunc(name, help string, value func() uint64, labels ...string) {
	if r == nil {
		return
	}
	if !strings.HasSuffix(name, "_total") {
		panic(fmt.Sprintf("metrics: counter %q: a counter's name ends in _total", name))
	}
	r.add(name, help, "counter", labels, func(b []byte, name, ls string) []byte {
		return sample(b, name, ls, strconv.FormatUint(value(), 10))
	})
}

// Gauge registers a value read when the metrics are written: a number of connections, a
// limit, a state. value must be safe to call from any goroutine.
func (r *Registry) Gauge(name, help string, value func() float64, labels ...string) {
	if r == nil {
		return
	}
	r.add(name, help, "gauge", labels, func(b []byte, name, ls string) []byte {
		return sample(b, name, ls, formatFloat(value()))
	})
}

// validName reports whether s is a metric name: [a-zA-Z_:][a-zA-Z0-9_:]*.
func validName(s string) bool {
	for i, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == ':':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

// add registers one series of a family, creating the family on its first series.
func (r *Registry) add(name, help, kind string, labels []string, write func([]byte, string, string) []byte) {
	if !validName(name) {
		panic(fmt.Sprintf("metrics: %q is not a metric name", name))
	}
	ls := renderLabels(name, labels)
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.byName[name]
	if f == nil {
		f = &family{name: name, help: help, kind: kind}
		r.byName[name] = f
		r.families = append(r.families, f)
	}
	if f.kind != kind {
		panic(fmt.Sprintf("metrics: %s is a %s, registered again as a %s", name, f.kind, kind))
	}
	if slices.ContainsFunc(f.series, func(s series) bool { return s.labels == ls }) {
		panic(fmt.Sprintf("metrics: %s%s is registered twice", name, ls))
	}
	f.series = append(f.series, series{ls, write})
}

// renderLabels renders name, value pairs as {name="value",...}, escaping the values.
func renderLabels(metric string, labels []string) string {
	if len(labels)%2 != 0 {
		panic(fmt.Sprintf("metrics: %s: labels come in name, value pairs: %q", metric, labels))
	}
	if len(labels) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i < len(labels); i += 2 {
		if !validName(labels[i]) || strings.HasPrefix(labels[i], "__") || strings.Contains(labels[i], ":") {
			panic(fmt.Sprintf("metrics: %s: %q is not a label name", metric, labels[i]))
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(labels[i])
		b.WriteString(`="`)
		b.WriteString(escape(labels[i+1], true))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// escape escapes a help text (quote false) or a label value (quote true) as the text format
// asks: a backslash, a newline and, in a label value, a double quote. A loop rather than a
// strings.Replacer, whose package-level set-up the floppy build would carry unused.
func escape(s string, quote bool) string {
	if !strings.ContainsAny(s, "\\\n\"") {
		return s
	}
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '"' && quote:
			b.WriteString(`\"`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// ContentType is what WriteTo writes, for the Content-Type of an answer that carries it.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// WriteTo writes every family, with its HELP and TYPE lines, then the Go runtime's figures
// (go_*), in the text exposition format.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	var b []byte
	for _, f := range r.families {
		b = append(b, "# HELP "...)
		b = append(b, f.name...)
		b = append(b, ' ')
		b = append(b, escape(f.help, false)...)
		b = append(b, "\n# TYPE "...)
		b = append(b, f.name...)
		b = append(b, ' ')
		b = append(b, f.kind...)
		b = append(b, '\n')
		for _, s := range f.series {
			b = s.write(b, f.name, s.labels)
		}
	}
	r.mu.Unlock()
	b = appendRuntime(b)
	n, err := w.Write(b)
	return int64(n), err
}

// sample appends one line: name, labels, value.
func sample(b []byte, name, labels, value string) []byte {
	b = append(b, name...)
	b = append(b, labels...)
	b = append(b, ' ')
	b = append(b, value...)
	return append(b, '\n')
}

// formatFloat writes a value as Prometheus reads it: +Inf, -Inf, NaN, a whole number as
// one (1220608, not 1.220608e+06), or the shortest decimal.
func formatFloat(v float64) string {
	return string(appendFloat(nil, v))
}

// appendFloat appends v as formatFloat writes it.
func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case v == math.Trunc(v) && math.Abs(v) < 1<<53:
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
