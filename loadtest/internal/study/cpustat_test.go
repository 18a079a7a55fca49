package study

import (
	"slices"
	"testing"
)

const procStat = `cpu  49323 6683 20554 33373 295 0 612 156 0 0
cpu0 24931 3165 10035 17021 31 0 232 78 0 0
cpu1 24392 3517 10518 16351 264 0 379 77 0 0
intr 1 2 3
`

func TestParseCPUTimes(t *testing.T) {
	t.Parallel()
	// busy = user + nice + system + irq + softirq + steal; total adds idle and iowait.
	for _, tc := range []struct {
		cpus        []int
		busy, total float64
	}{
		{nil, 773.28, 1109.96},
		{[]int{0}, 384.41, 554.93},
		{[]int{0, 1}, 773.24, 1109.91},
	} {
		got, err := parseCPUTimes(procStat, tc.cpus)
		if err != nil || !near(got.busy, tc.busy) || !near(got.total, tc.total) {
			t.Errorf("cpus %v: %+v, %v; want busy %v, total %v", tc.cpus, got, err, tc.busy, tc.total)
		}
	}
	if _, err := parseCPUTimes(procStat, []int{2}); err == nil {
		t.Error("a CPU that is not there was accepted")
	}
	if _, err := parseCPUTimes("cpu0 1 2 x 4 5 6 7 8\n", []int{0}); err == nil {
		t.Error("a malformed line was accepted")
	}
	if _, err := readCPUTimes(nil); err != nil {
		t.Errorf("this machine's /proc/stat: %v", err)
	}
}

func near(a, b float64) bool { return a-b < 1e-6 && b-a < 1e-6 }

func TestRotate(t *testing.T) {
	t.Parallel()
	for k, want := range [][]int{{0, 1, 2, 3}, {1, 2, 3, 0}, {2, 3, 0, 1}, {3, 0, 1, 2}, {0, 1, 2, 3}} {
		if got := rotate(4, k); !slices.Equal(got, want) {
			t.Errorf("rotate(4, %d) = %v, want %v", k, got, want)
		}
	}
}

func TestFileName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"getsmall-upx --lzma": "getsmall-upx-lzma", "net/http": "net-http", "nginx": "nginx", "getsmall-floppy": "getsmall-floppy"} {
		if got := fileName(in); got != want {
			t.Errorf("fileName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadAvg(t *testing.T) {
	t.Parallel()
	if l := loadAvg(); len(l) != 3 || l[0] < 0 {
		t.Errorf("loadAvg() = %v", l)
	}
}
