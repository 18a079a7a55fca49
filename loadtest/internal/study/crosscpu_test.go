package study

import (
	"runtime"
	"testing"
)

func TestCrossCPU(t *testing.T) {
	t.Parallel()
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
}
