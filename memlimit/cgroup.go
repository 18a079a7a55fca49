// Package memlimit fits the server to the memory it is given: it reads the memory limit of
// the cgroup the process runs in (cgroup v2 and v1, as Docker's --memory and Kubernetes'
// limits set it) and the memory the process already holds, and derives from them, with
// the per-connection cost measured in docs/memory.md, how many connections fit and the Go
// soft memory limit. Other code (the Kubernetes manifests' tests) checks a limit against
// the same model with ForImage.
package memlimit

import (
	"errors"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/getsmall/getsmall/internal/mountinfo"
)

// ErrNoCgroups is what Read returns where the system has no cgroups (every system but
// Linux): no memory limit is known.
var ErrNoCgroups = errors.New("no cgroups on " + runtime.GOOS)

// unlimited: limits at or above this are "no limit". cgroup v1 writes its "unlimited" as
// the largest page-aligned counter (9223372036854771712 with 4 KiB pages), not as a word.
const unlimited = 1 << 62

// Cgroup is the memory controller's directory of one process, as this mount namespace
// sees it.
type Cgroup struct {
	root  string // the file system root without its trailing slash: "" except in tests
	dir   string // the process's cgroup directory, as an absolute path under root
	mount string // where the hierarchy is mounted, under root: the walk up stops here
	v2    bool
}

// Find locates the memory cgroup of process pid ("self" for this one). root is the file
// system root ("/"); tests pass a directory holding a fake proc and sys tree. The
// process's cgroup path comes from proc/PID/cgroup; where that hierarchy is mounted, and
// which part of it the mount shows, from proc/self/mountinfo: inside a container the
// mount's root is the container's own cgroup, so its path is cut off the front.
func Find(root, pid string) (Cgroup, error) {
	root = strings.TrimSuffix(root, "/")
	cg, err := os.ReadFile(root + "/proc/" + pid + "/cgroup") //nolint:gosec // reading /proc and /sys is this package's job
	if err != nil {
		return Cgroup{}, err
	}
	mi, err := os.ReadFile(root + "/proc/self/mountinfo") //nolint:gosec // as above
	if err != nil {
		return Cgroup{}, err
	}
	// v1 first: on a hybrid host the memory controller is in a v1 hierarchy and the
	// unified one is empty.
	var v1Path, v2Path string
	hasV1, hasV2 := false, false
	for _, line := range strings.Split(string(cg), "\n") {
		f := strings.SplitN(line, ":", 3)
		switch {
		case len(f) != 3:
		case f[0] == "0" && f[1] == "":
			v2Path, hasV2 = f[2], true
		case hasController(f[1], "memory"):
			v1Path, hasV1 = f[2], true
		}
	}
	for _, line := range strings.Split(string(mi), "\n") {
		m, ok := mountinfo.Parse(line)
		switch {
		case !ok:
		case hasV1 && m.FSType == "cgroup" && hasController(m.SuperOptions, "memory"):
			return newCgroup(root, v1Path, m.Root, m.Point, false), nil
		case !hasV1 && hasV2 && m.FSType == "cgroup2":
			return newCgroup(root, v2Path, m.Root, m.Point, true), nil
		}
	}
	return Cgroup{}, errors.New("no memory cgroup mounted")
}

func newCgroup(root, cgPath, mountRoot, mountPoint string, v2 bool) Cgroup {
	c := Cgroup{root: root, mount: mountPoint, dir: mountPoint, v2: v2}
	// With the host's cgroup namespace a container sees "/docker/ID" in proc/self/cgroup
	// while its mount shows only that directory, as its root.
	rel, ok := strings.CutPrefix(cgPath, strings.TrimSuffix(mountRoot, "/"))
	if ok && (rel == "" || rel[0] == '/') {
		c.dir = strings.TrimSuffix(mountPoint+rel, "/")
	}
	return c
}

func hasController(list, name string) bool {
	return strings.Contains(","+list+",", ","+name+",")
}

// Dir is the cgroup's directory, relative to the root Find was given.
func (c Cgroup) Dir() string { return c.dir }

// Limit returns the memory limit in bytes: the smallest limit of the cgroup and of every
// parent this mount shows (a Kubernetes pod's limit sits on the pod's cgroup, above the
// container's), or 0 when none is set ("max" in v2, the huge counter in v1). at is the
// cgroup whose limit it is, the one to charge against.
func (c Cgroup) Limit() (limit int64, at Cgroup, err error) {
	file := "memory.limit_in_bytes"
	if c.v2 {
		file = "memory.max"
	}
	at = c
	for dir := c.dir; ; dir = dir[:max(strings.LastIndexByte(dir, '/'), 0)] {
		v, err := c.read(dir, file)
		if err != nil && !errors.Is(err, fs.ErrNotExist) { // v2's root cgroup has no memory.max
			return 0, c, err
		}
		if v > 0 && (limit == 0 || v < limit) {
			limit, at.dir = v, dir
		}
		if len(dir) <= len(c.mount) {
			return limit, at, nil
		}
	}
}

// Usage returns what the cgroup is charged now (memory.current in v2, memory.usage_in_bytes
// in v1): anonymous memory, page cache and kernel memory; in v2 socket buffers too.
func (c Cgroup) Usage() (int64, error) {
	file := "memory.usage_in_bytes"
	if c.v2 {
		file = "memory.current"
	}
	return c.read(c.dir, file)
}

// InUse is Usage without the page cache, which the kernel reclaims before it kills
// anything: whether the binary's pages are charged here depends on who read them first.
func (c Cgroup) InUse() (int64, error) {
	usage, err := c.Usage()
	if err != nil {
		return 0, err
	}
	key := "total_cache "
	if c.v2 {
		key = "file "
	}
	b, err := os.ReadFile(c.root + c.dir + "/memory.stat")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			cache, err := strconv.ParseInt(v, 10, 64)
			if err != nil || cache < 0 {
				return 0, errors.New(c.dir + "/memory.stat: bad " + key + "value")
			}
			return max(usage-cache, 0), nil
		}
	}
	return usage, nil
}

// ReadSystem reads, for this process under root ("/"), the memory limit of its cgroup, what
// the cgroup is charged now (page cache excluded) and the process's anonymous memory. The
// caller adds what only the Go runtime knows (GoMem, Procs). Without a memory cgroup, or
// without a limit, System.Limit is 0.
func ReadSystem(root string) (System, error) {
	var s System
	cg, err := Find(root, "self")
	if err != nil {
		return s, err
	}
	limit, at, err := cg.Limit()
	if err != nil || limit == 0 {
		return s, err
	}
	inUse, err := at.InUse()
	if err != nil {
		return s, err
	}
	anon, _, err := Resident(root, "self")
	if err != nil {
		return s, err
	}
	return System{Limit: limit, InUse: inUse, Anon: anon, V2: cg.v2}, nil
}

// read parses a one-number cgroup file; "max" and v1's unlimited counter read as 0.
func (c Cgroup) read(dir, file string) (int64, error) {
	b, err := os.ReadFile(c.root + dir + "/" + file) //nolint:gosec // a cgroup file
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil && errors.Is(err, strconv.ErrRange):
		return 0, nil // beyond int64: no limit anyone could reach
	case err != nil || v < 0:
		return 0, errors.New(dir + "/" + file + ": not a byte count: " + strconv.Quote(s))
	case v >= unlimited:
		return 0, nil
	}
	return v, nil
}

// Resident returns the process's resident memory from proc/PID/status: anonymous (heap,
// stacks, and for a UPX-packed binary the whole unpacked program) and file-backed (the
// binary's pages, shared and reclaimable).
func Resident(root, pid string) (anon, file int64, err error) {
	b, err := os.ReadFile(strings.TrimSuffix(root, "/") + "/proc/" + pid + "/status") //nolint:gosec // a /proc file
	if err != nil {
		return 0, 0, err
	}
	found := 0
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "RssAnon" && k != "RssFile") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, 0, errors.New("proc/" + pid + "/status: bad " + k + ": " + strconv.Quote(v))
		}
		if k == "RssAnon" {
			anon = kb << 10
		} else {
			file = kb << 10
		}
		found++
	}
	if found != 2 {
		return 0, 0, errors.New("proc/" + pid + "/status: no RssAnon and RssFile")
	}
	return anon, file, nil
}
