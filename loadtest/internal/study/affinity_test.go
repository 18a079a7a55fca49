package study

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// Not parallel: it reads the affinity of this process's main thread, which a parallel
// test's pinned threads (TestCrossCPU) may borrow for a moment.
func TestStartOnPinsOnlyTheChild(t *testing.T) {
	cpu := runtime.NumCPU() - 1 // the last CPU: differs from the default on machines with more than one
	cmd := exec.Command("sleep", "5")
	if err := startOn(cmd, cpu); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	if got := allowedCPUs(t, cmd.Process.Pid); got != strconv.Itoa(cpu) {
		t.Errorf("child may run on CPUs %q, want %d", got, cpu)
	}
	// This process keeps its own affinity: the pinned thread was thrown away.
	if runtime.NumCPU() > 1 {
		if got := allowedCPUs(t, os.Getpid()); got == strconv.Itoa(cpu) {
			t.Errorf("this process was pinned to CPU %d too", cpu)
		}
	}
}

func allowedCPUs(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("no Cpus_allowed_list")
	return ""
}
