package study

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuTimes is busy and total time, in seconds, summed over a set of CPUs from /proc/stat.
type cpuTimes struct{ busy, total float64 }

// readCPUTimes sums /proc/stat's counters for cpus (every CPU when cpus is empty).
func readCPUTimes(cpus []int) (cpuTimes, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}, err
	}
	return parseCPUTimes(string(b), cpus)
}

// parseCPUTimes reads the "cpu" lines of /proc/stat: user nice system idle iowait irq
// softirq steal (guest time is already inside user). Busy is everything but idle and
// iowait; steal counts as busy because the CPU was not ours to use.
func parseCPUTimes(stat string, cpus []int) (cpuTimes, error) {
	want := map[string]bool{}
	for _, c := range cpus {
		want["cpu"+strconv.Itoa(c)] = true
	}
	if len(cpus) == 0 {
		want["cpu"] = true
	}
	var t cpuTimes
	found := 0
	sc := bufio.NewScanner(strings.NewReader(stat))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 9 || !want[f[0]] {
			continue
		}
		for i := 1; i <= 8; i++ {
			v, err := strconv.ParseUint(f[i], 10, 64)
			if err != nil {
				return cpuTimes{}, fmt.Errorf("/proc/stat %s: %w", f[0], err)
			}
			sec := float64(v) / clockTicks
			t.total += sec
			if i != 4 && i != 5 { // idle, iowait
				t.busy += sec
			}
		}
		found++
	}
	if found != len(want) {
		return cpuTimes{}, fmt.Errorf("/proc/stat: %d of the CPUs %v found", found, cpus)
	}
	return t, sc.Err()
}

// measuredCPUs are the CPUs server and client run on, or nil (all) when not pinned.
func (s *Study) measuredCPUs() []int {
	if !s.cfg.Pin {
		return nil
	}
	return []int{s.cfg.ServerCPU, s.cfg.ClientCPU}
}

// quietSample is how long one look at the machine lasts, and quietBusy the share of the
// measured CPUs that other work may use while the study itself is idle.
const (
	quietSample = 250 * time.Millisecond
	quietBusy   = 0.15
)

// waitQuiet waits, up to QuietWait and within what is left of QuietBudget, until the
// measured CPUs are nearly idle while nothing of the study runs: a run started in the middle
// of someone else's compile is a run to throw away.
func (s *Study) waitQuiet() {
	c := &s.cfg
	started := time.Now()
	defer func() { s.quietSpent += max(0, time.Since(started)-quietSample) }()
	for logged := false; ; logged = true {
		busy, err := s.busyShare(quietSample)
		if err != nil || busy <= quietBusy {
			return
		}
		waited := time.Since(started)
		if waited >= c.QuietWait || s.quietSpent+waited >= c.QuietBudget {
			s.logf("the measured CPUs stay %.0f%% busy with other work: measuring anyway", busy*100)
			return
		}
		if !logged {
			s.logf("the measured CPUs are %.0f%% busy with other work: waiting up to %v for a quiet moment", busy*100, c.QuietWait)
		}
	}
}

// busyShare is the busy share of the measured CPUs over d.
func (s *Study) busyShare(d time.Duration) (float64, error) {
	before, err := readCPUTimes(s.measuredCPUs())
	if err != nil {
		return 0, err
	}
	time.Sleep(d)
	after, err := readCPUTimes(s.measuredCPUs())
	if err != nil {
		return 0, err
	}
	total := after.total - before.total
	if total <= 0 {
		return 0, nil
	}
	return (after.busy - before.busy) / total, nil
}

// loadAvg is the 1, 5 and 15 minute load averages, nil when unknown.
func loadAvg() []float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return nil
	}
	l := make([]float64, 3)
	for i := range l {
		if l[i], err = strconv.ParseFloat(f[i], 64); err != nil {
			return nil
		}
	}
	return l
}
