// Package stats summarises repeated measurements: the order statistics the load-test
// report prints (min, p50, p95, max) and the median across runs.
package stats

import (
	"math"
	"slices"
)

// Summary describes a sample. Percentiles use the nearest-rank method, so every reported
// value is one that was actually measured.
type Summary struct {
	N    int     `json:"n"`
	Min  float64 `json:"min"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Summarize returns the summary of xs; an empty sample gives the zero Summary.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	return Summary{
		N:    len(s),
		Min:  s[0],
		P50:  rank(s, 50),
		P95:  rank(s, 95),
		Max:  s[len(s)-1],
		Mean: sum / float64(len(s)),
	}
}

// Rank is the nearest-rank percentile p (0 to 100) of an already sorted, non-empty sample:
// always a value that was measured, which matters for a p99.9 of a few thousand.
func Rank(sorted []float64, p float64) float64 { return rank(sorted, p) }

func rank(sorted []float64, p float64) float64 {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// MedianIndex returns the index of the median element of xs (the lower one for an even
// count), so a caller can report the whole run that produced the median, not a blend.
func MedianIndex(xs []float64) int {
	if len(xs) == 0 {
		return -1
	}
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case xs[a] < xs[b]:
			return -1
		case xs[a] > xs[b]:
			return 1
		}
		return 0
	})
	return idx[(len(idx)-1)/2]
}

// Median is the middle value of xs, or the mean of the two middle values for an even count;
// 0 for an empty sample. It is what the per-round ratios are summarised with.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
