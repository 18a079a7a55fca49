package study

import (
	"errors"
	"runtime"
	"slices"
	"sync/atomic"
	"syscall"
	"time"
)

// Probe sizes: a batch of round trips is timed as a whole, and the median batch is kept.
const (
	probeTrips   = 500
	probeBatches = 7
	probeLimit   = 200 * time.Millisecond // a peer that does not answer means no number
)

var errNoPeer = errors.New("cross-CPU probe: the peer thread did not answer")

// crossCPU measures how long a cache line takes to go from CPU a to CPU b and back, in
// nanoseconds: one thread pinned to each CPU bounces a counter. On a virtual machine it is
// the evidence of where the host placed the two virtual CPUs. Sharing a cache they
// answer in tens of nanoseconds; in different cache domains in hundreds, and then every
// request that crosses from the client's CPU to the server's costs both sides more, with no
// CPU time lost that the disturbed-run rule could see.
func crossCPU(a, b int) (float64, error) {
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2) // both threads must run Go code at once
	}
	var line atomic.Int64
	peerErr := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		// The thread goes back to the runtime's pool afterwards (it may even be the main
		// thread), so it gets its affinity back first, as the measuring side does.
		var saved cpuMask
		if err := affinity(syscall.SYS_SCHED_GETAFFINITY, &saved); err != nil {
			peerErr <- err
			line.Store(-1)
			return
		}
		defer func() { _ = affinity(syscall.SYS_SCHED_SETAFFINITY, &saved) }()
		if err := pinThread(b); err != nil {
			peerErr <- err
			line.Store(-1)
			return
		}
		peerErr <- nil
		deadline := time.Now().Add(probeLimit)
		for i := 0; ; i++ {
			v := line.Load()
			if v < 0 {
				return
			}
			if v%2 == 1 {
				line.Store(v + 1)
			}
			if i%4096 == 0 && time.Now().After(deadline) {
				return
			}
		}
	}()
	if err := <-peerErr; err != nil {
		return 0, err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var saved cpuMask
	if err := affinity(syscall.SYS_SCHED_GETAFFINITY, &saved); err != nil {
		line.Store(-1)
		return 0, err
	}
	defer func() { _ = affinity(syscall.SYS_SCHED_SETAFFINITY, &saved) }()
	if err := pinThread(a); err != nil {
		line.Store(-1)
		return 0, err
	}
	defer line.Store(-1)
	deadline := time.Now().Add(probeLimit)
	batches := make([]float64, 0, probeBatches)
	for range probeBatches {
		started := time.Now()
		for range probeTrips {
			v := line.Add(1) // odd: the peer's turn
			for i := 0; line.Load() == v; i++ {
				if i%4096 == 0 && time.Now().After(deadline) {
					return 0, errNoPeer
				}
			}
		}
		batches = append(batches, float64(time.Since(started).Nanoseconds())/probeTrips)
	}
	slices.Sort(batches)
	return batches[len(batches)/2], nil
}

// pinThread binds the calling OS thread to one CPU; the caller has locked it.
func pinThread(cpu int) error {
	var m cpuMask
	m[cpu/64] = 1 << (cpu % 64)
	return affinity(syscall.SYS_SCHED_SETAFFINITY, &m)
}
