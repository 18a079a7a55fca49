package stats

import "testing"

func TestSummarize(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   []float64
		want Summary
	}{
		"empty":   {nil, Summary{}},
		"one":     {[]float64{7}, Summary{N: 1, Min: 7, P50: 7, P95: 7, Max: 7, Mean: 7}},
		"two":     {[]float64{4, 2}, Summary{N: 2, Min: 2, P50: 2, P95: 4, Max: 4, Mean: 3}},
		"ten":     {[]float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, Summary{N: 10, Min: 1, P50: 5, P95: 10, Max: 10, Mean: 5.5}},
		"twenty":  {seq(20), Summary{N: 20, Min: 1, P50: 10, P95: 19, Max: 20, Mean: 10.5}},
		"outlier": {[]float64{5, 5, 5, 5, 500}, Summary{N: 5, Min: 5, P50: 5, P95: 500, Max: 500, Mean: 104}},
	}
	for name, tc := range tests {
		if got := Summarize(tc.in); got != tc.want {
			t.Errorf("%s: Summarize = %+v, want %+v", name, got, tc.want)
		}
	}
}

func TestSummarizeLeavesInputAlone(t *testing.T) {
	t.Parallel()
	in := []float64{3, 1, 2}
	Summarize(in)
	if in[0] != 3 || in[1] != 1 || in[2] != 2 {
		t.Errorf("input reordered: %v", in)
	}
}

func TestMedianIndex(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   []float64
		want int
	}{
		"empty": {nil, -1},
		"odd":   {[]float64{30, 10, 20}, 2},
		"even":  {[]float64{40, 10, 30, 20}, 3}, // lower median: 20
		"ties":  {[]float64{5, 5, 5}, 1},
	}
	for name, tc := range tests {
		if got := MedianIndex(tc.in); got != tc.want {
			t.Errorf("%s: MedianIndex(%v) = %d, want %d", name, tc.in, got, tc.want)
		}
	}
}

func seq(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	return xs
}

func TestMedian(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{0.9, 1.1}, 1}, {[]float64{1.2, 0.8, 1.0}, 1}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := Median(tc.in); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
