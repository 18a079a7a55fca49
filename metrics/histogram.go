package metrics

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// Histogram counts durations into buckets, as a Prometheus histogram: each bucket counts
// the observations up to its bound (le), and the sum and the count come with them, so a
// scraper computes rates and quantiles (histogram_quantile) over any window.
type Histogram struct {
	bounds []time.Duration // upper bounds, ascending
	counts []atomic.Uint64 // per bucket, not cumulative; the last is +Inf
	sum    atomic.Int64    // nanoseconds
	labels []string        // the le value of each bound, rendered once
}

// DurationBuckets are the bounds of Histograms that time requests: a request to a small
// service takes microseconds, a slow one seconds.
var DurationBuckets = []time.Duration{
	50 * time.Microsecond, 100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond,
	25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second,
}

// Histogram registers and returns a histogram of durations with the given ascending bucket
// bounds. Its name ends in _seconds: the durations are written in seconds.
func (r *Registry) Histogram(name, help string, bounds []time.Duration, labels ...string) *Histogram {
	for i := 1; i < len(bounds); i++ {
		if bounds[i] <= bounds[i-1] {
			panic(fmt.Sprintf("metrics: histogram %s: bounds %v are not ascending", name, bounds))
		}
	}
	h := &Histogram{bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
	if r == nil { // a sink: it counts, nothing writes it
		return h
	}
	for _, b := range bounds {
		h.labels = append(h.labels, formatFloat(b.Seconds()))
	}
	h.labels = append(h.labels, "+Inf")
	r.add(name, help, "histogram", labels, h.write)
	return h
}

// Observe counts one duration.
func (h *Histogram) Observe(d time.Duration) {
	i := 0
	for i < len(h.bounds) && d > h.bounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(int64(max(d, 0)))
}

// write appends the histogram's samples: the cumulative buckets, the sum and the count.
// Buckets are read one by one while requests go on, so a scrape may see a bucket count an
// observation the count below it has not: each stays monotonic, which is what rates need.
func (h *Histogram) write(b []byte, name, labels string) []byte {
	var total uint64
	for i := range h.counts {
		total += h.counts[i].Load()
		b = append(b, name...)
		b = append(b, "_bucket"...)
		b = withLabel(b, labels, "le", h.labels[i])
		b = append(b, ' ')
		b = strconv.AppendUint(b, total, 10)
		b = append(b, '\n')
	}
	b = sample(b, name+"_sum", labels, formatFloat(time.Duration(h.sum.Load()).Seconds()))
	return sample(b, name+"_count", labels, strconv.FormatUint(total, 10))
}

// withLabel appends labels with one more label added.
func withLabel(b []byte, labels, name, value string) []byte {
	if labels == "" {
		b = append(b, '{')
	} else {
		b = append(b, labels[:len(labels)-1]...)
		b = append(b, ',')
	}
	b = append(b, name...)
	b = append(b, `="`...)
	b = append(b, value...)
	return append(b, `"}`...)
}
