package study

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

// Not parallel: it checks afterwards that no thread of this process is left pinned.
func TestCrossCPU(t *testing.T) {
	before := threadAffinities(t)
	// A CPU the machine does not have: pinning fails and the probe says so.
	if _, err := crossCPU(0, len(cpuMask{})*64-1); err == nil {
		t.Error("a probe to a CPU that does not exist gave a number")
	}
	if runtime.NumCPU() >= 2 { // the study probes only when it pins, on two CPUs or more
		ns, err := crossCPU(0, 1)
		if err != nil {
			t.Fatal(err)
		}
		// A cache-line round trip takes at least tens of nanoseconds between two CPUs and
		// never a millisecond: outside that, the probe measures something else.
		if ns < 5 || ns > 1e6 {
			t.Errorf("round trip %v ns", ns)
		}
		t.Logf("CPU 0 <-> CPU 1: %.0f ns", ns)
	}
	// Both probe threads go back to the runtime's pool: they must have their affinity back.
	for tid, cpus := range threadAffinities(t) {
		if want, ok := before[tid]; ok && cpus != want {
			t.Errorf("thread %s may run on CPUs %q after the probe, %q before", tid, cpus, want)
		} else if !ok && cpus != allowedCPUs(t, os.Getpid()) {
			t.Errorf("new thread %s may run on CPUs %q, the process on %q", tid, cpus, allowedCPUs(t, os.Getpid()))
		}
	}
}

// threadAffinities maps every thread of this process to the CPUs it may run on.
func threadAffinities(t *testing.T) map[string]string {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]string, len(tasks))
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + task.Name() + "/status")
		if err != nil {
			continue // the thread has exited
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
				m[task.Name()] = strings.TrimSpace(v)
			}
		}
	}
	return m
}

// TestNearReference holds the far rule to the probes of a real study: one lucky 57 ns probe
// among ordinary 110 to 135 ns ones must not make the ordinary ones look far, while the
// 330 to 450 ns probes of CPUs in different cache domains still do.
func TestNearReference(t *testing.T) {
	if got := NearReference(nil); got != 0 {
		t.Errorf("no probes: %v, want 0", got)
	}
	probes := []float64{71, 114, 115, 112, 120, 112, 133, 115, 127, 112, 128, 57, 134, 75, 126, 443, 438, 448}
	near := NearReference(probes)
	if near < 100 || near > 120 {
		t.Fatalf("near reference %v ns, want the ordinary round trip (100 to 120)", near)
	}
	for _, tc := range []struct {
		ns   float64
		want bool
	}{{57, false}, {135, false}, {200, false}, {330, true}, {450, true}} {
		if got := tc.ns > 2*near; got != tc.want {
			t.Errorf("%v ns far = %v, want %v (near %v)", tc.ns, got, tc.want, near)
		}
	}
	if got := NearReference([]float64{120, 120, 120, 60}); got != 60 {
		t.Errorf("a quarter of the probes at 60: reference %v, want 60", got)
	}
}
