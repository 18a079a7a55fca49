package host

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is a running process.
type Process struct {
	PID     int
	Cmdline string
}

// Alive reports whether pid is a running (not zombie) process.
func Alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses, which may itself hold spaces.
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z' && b[i+2] != 'X'
}

// Cmdline returns pid's command line with spaces between the arguments.
func Cmdline(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
}

// Find lists the live processes that carry the environment variable env=value (what a
// process started by the cluster tools, and everything they start, inherits) or that sit
// in a cgroup at or below cgroup in any hierarchy (the containers).
func Find(env, value, cgroup string) ([]Process, error) {
	marker := []byte(env + "=" + value)
	return FindWhere(func(pid int, _ string) bool {
		return hasEnv(pid, marker) || InCgroup(pid, cgroup)
	})
}

// FindWhere lists the live processes, other than this one, that match says are wanted.
func FindWhere(match func(pid int, cmdline string) bool) ([]Process, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var found []Process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() || !Alive(pid) {
			continue
		}
		if cmd := Cmdline(pid); match(pid, cmd) {
			found = append(found, Process{PID: pid, Cmdline: cmd})
		}
	}
	return found, nil
}

func hasEnv(pid int, marker []byte) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return false
	}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if bytes.Equal(kv, marker) {
			return true
		}
	}
	return false
}

// InCgroup reports whether pid sits in cgroup, or below it, in any hierarchy.
func InCgroup(pid int, cgroup string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		// hierarchy-ID:controllers:path
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 && (parts[2] == cgroup || strings.HasPrefix(parts[2], cgroup+"/")) {
			return true
		}
	}
	return false
}

// Stop sends SIGTERM to pid, waits up to grace for it to exit, then sends SIGKILL and
// waits again. It stops only the process it was given: callers check what pid is first.
func Stop(pid int, grace time.Duration) error {
	if !Alive(pid) {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %d: %w", pid, err)
	}
	if waitGone(pid, grace) {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %d: %w", pid, err)
	}
	if !waitGone(pid, 5*time.Second) {
		return fmt.Errorf("process %d (%s) survived SIGKILL", pid, Cmdline(pid))
	}
	return nil
}

func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !Alive(pid) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return !Alive(pid)
}

// ReadPID reads a PID file; ok is false when there is none.
func ReadPID(path string) (pid int, ok bool, err error) {
	b, err := os.ReadFile(path) //nolint:gosec // the cluster's own PID file
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, false, fmt.Errorf("%s: %w", path, err)
	}
	return pid, true, nil
}

// PIDFiles lists the *.pid files in dir.
func PIDFiles(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.pid"))
	return files, err
}
