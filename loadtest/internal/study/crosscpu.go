package study

import (
	"errors"
	"runtime"
	"slices"
	"sync/atomic"
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
		release, err := pinThread(b)
		if err != nil {
			peerErr <- err
			line.Store(-1)
			return
		}
		defer func() { _ = release() }()
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
	release, err := pinThread(a)
	if err != nil {
		line.Store(-1)
		return 0, err
	}
	defer func() { _ = release() }()
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
