package study

import (
	"fmt"
	"os/exec"
	"runtime"
	"syscall"
	"unsafe"
)

// cpuMask is a kernel CPU set with room for 1024 CPUs, as glibc's cpu_set_t.
type cpuMask [16]uint64

// startOn starts cmd with its CPU affinity set to cpu, without a taskset in between (whose
// own exec would be counted in the cold start). A child inherits the affinity of the thread
// that forks it, so the fork happens on this goroutine's thread, pinned for the moment and
// restored after.
func startOn(cmd *exec.Cmd, cpu int) error {
	release, err := pinThread(cpu)
	if err != nil {
		return err
	}
	startErr := cmd.Start()
	if err := release(); err != nil {
		return err
	}
	return startErr
}

// pinThread locks the calling goroutine to its thread and binds the thread to one CPU.
// release gives the thread its affinity back and unlocks it, so the runtime can reuse the
// thread (it may be the main thread) for other goroutines. If the affinity cannot be
// restored, release leaves the thread locked: the runtime retires it when the goroutine
// ends, rather than running other goroutines on the wrong CPU.
func pinThread(cpu int) (release func() error, err error) {
	if cpu < 0 || cpu >= len(cpuMask{})*64 {
		return nil, fmt.Errorf("cpu %d out of range", cpu)
	}
	runtime.LockOSThread()
	var saved cpuMask
	if err := affinity(syscall.SYS_SCHED_GETAFFINITY, &saved); err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	var one cpuMask
	one[cpu/64] = 1 << (cpu % 64)
	if err := affinity(syscall.SYS_SCHED_SETAFFINITY, &one); err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	return func() error {
		if err := affinity(syscall.SYS_SCHED_SETAFFINITY, &saved); err != nil {
			return fmt.Errorf("restoring the thread's CPU affinity: %w", err)
		}
		runtime.UnlockOSThread()
		return nil
	}, nil
}

// affinity calls sched_getaffinity or sched_setaffinity for the calling thread.
func affinity(trap uintptr, m *cpuMask) error {
	_, _, errno := syscall.RawSyscall(trap, 0, unsafe.Sizeof(*m), uintptr(unsafe.Pointer(m))) //nolint:gosec // the syscall package has no wrapper for affinity
	if errno != 0 {
		return fmt.Errorf("sched affinity: %w", errno)
	}
	return nil
}
