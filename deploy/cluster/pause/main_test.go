package main

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func TestWaitReapsUntilTerminated(t *testing.T) {
	t.Parallel()
	for _, stop := range []os.Signal{syscall.SIGTERM, syscall.SIGINT} {
		sigs := make(chan os.Signal, 4)
		reaped := 0
		sigs <- syscall.SIGCHLD
		sigs <- syscall.SIGCHLD
		sigs <- stop
		sigs <- syscall.SIGCHLD // after the stop: never handled
		done := make(chan struct{})
		go func() { wait(sigs, func() { reaped++ }); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("wait did not return on %v", stop)
		}
		if reaped != 2 {
			t.Errorf("reaped %d times before %v, want 2", reaped, stop)
		}
	}
}

// TestReapCollectsZombies makes a child exit without waiting for it, and checks that
// reap leaves no zombie behind.
func TestReapCollectsZombies(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	deadline := time.Now().Add(5 * time.Second)
	for {
		reap()
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %d still present after reaping", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
