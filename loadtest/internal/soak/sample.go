package soak

import (
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/getsmall/getsmall/memlimit"
)

// Sample is a target's memory and handles at one moment. Byte counts; the cgroup fields
// are zero for a process target.
type Sample struct {
	At      time.Duration `json:"at_ns"` // since the run started
	Anon    int64         `json:"rss_anon"`
	File    int64         `json:"rss_file"`
	FDs     int           `json:"fds"`
	Threads int           `json:"threads"`
	// The container's cgroup: what it is charged in all (the OOM killer's measure), and
	// the anonymous, page cache and kernel (slab: sockets, dentries, epoll) parts.
	Cgroup       int64 `json:"cgroup,omitempty"`
	CgroupAnon   int64 `json:"cgroup_anon,omitempty"`
	CgroupFile   int64 `json:"cgroup_file,omitempty"`
	CgroupKernel int64 `json:"cgroup_kernel,omitempty"`
	// Socket buffers of the server's connections (ss's skmem: receive and send queues),
	// which cgroup v2 charges to the container and v1 does not.
	Sockets int64 `json:"sockets,omitempty"`
}

// Sample reads the target's memory now.
func (t *Target) Sample() (Sample, error) {
	var s Sample
	var err error
	if s.Anon, s.File, err = memlimit.Resident("/", strconv.Itoa(t.Pid)); err != nil {
		return s, err
	}
	s.FDs, s.Threads = countFDs(t.Pid), threads(t.Pid)
	if t.cgroup != nil {
		if s.Cgroup, err = t.cgroup.Usage(); err != nil {
			return s, err
		}
		stat := readStat(path.Join("/", t.cgroup.Dir(), "memory.stat"))
		if _, v2 := stat["anon"]; v2 {
			s.CgroupAnon, s.CgroupFile, s.CgroupKernel = stat["anon"], stat["file"], stat["kernel"]
		} else {
			s.CgroupAnon, s.CgroupFile = stat["rss"], stat["cache"]
			s.CgroupKernel = readInt(path.Join("/", t.cgroup.Dir(), "memory.kmem.usage_in_bytes"))
		}
	}
	return s, nil
}

// countFDs counts the open file descriptors of pid, -1 when /proc does not say.
func countFDs(pid int) int {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// threads is the number of OS threads of pid, -1 when /proc does not say.
func threads(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return -1
}

// readStat parses a cgroup memory.stat file into a map; missing files give an empty map.
func readStat(file string) map[string]int64 {
	m := map[string]int64{}
	b, err := os.ReadFile(file) //nolint:gosec // a cgroup file
	if err != nil {
		return m
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				m[k] = n
			}
		}
	}
	return m
}

func readInt(file string) int64 {
	b, err := os.ReadFile(file) //nolint:gosec // a cgroup file
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// maxRSS is a finished process's peak resident memory in bytes (Linux reports KiB).
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10
	}
	return 0
}
