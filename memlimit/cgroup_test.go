package memlimit

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/getsmall/getsmall/internal/fakecgroup"
)

const (
	status = "Name:\tgetsmall\nVmRSS:\t    6452 kB\nRssAnon:\t    1332 kB\nRssFile:\t    5120 kB\nRssShmem:\t       0 kB\n"
	// Docker on a cgroup v1 host, with the host's cgroup namespace: the container's path is
	// in proc/self/cgroup, and its memory mount shows only that directory.
	dockerV1Cgroup = "9:name=systemd:/docker/abc\n5:devices:/docker/abc\n4:memory:/docker/abc\n1:cpu:/docker/abc\n0::/\n"
	dockerV1Mounts = "76 75 0:44 / /sys/fs/cgroup rw,nosuid - tmpfs tmpfs rw,mode=755\n" +
		"77 76 0:29 /docker/abc /sys/fs/cgroup/cpu ro,nosuid - cgroup cgroup rw,cpu\n" +
		"80 76 0:32 /docker/abc /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,memory\n" +
		"86 76 0:38 / /sys/fs/cgroup/unified ro - cgroup2 cgroup2 rw\n"
	// A Kubernetes pod on a cgroup v2 host, with the host's namespace: the pod's limit is
	// on the pod's cgroup, the container's own is "max", and the root has no memory.max.
	k8sV2Cgroup = "0::/kubepods/burstable/pod1/ctr1\n"
	v2Mounts    = "30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"
)

func TestReadSystem(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		files       map[string]string
		limit, used int64
		v2          bool
	}{
		"docker, cgroup v1": {files: map[string]string{
			"proc/self/cgroup": dockerV1Cgroup, "proc/self/mountinfo": dockerV1Mounts, "proc/self/status": status,
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "16777216\n",
			"sys/fs/cgroup/memory/memory.usage_in_bytes": "2011136\n",
			"sys/fs/cgroup/memory/memory.stat":           "cache 8192\nrss 1310720\ntotal_cache 8192\ntotal_rss 1310720\n",
		}, limit: 16 << 20, used: 2011136 - 8192},
		"cgroup v1, no limit": {files: map[string]string{
			"proc/self/cgroup": dockerV1Cgroup, "proc/self/mountinfo": dockerV1Mounts, "proc/self/status": status,
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
		}},
		"cgroup v2, private namespace": {files: map[string]string{
			"proc/self/cgroup": "0::/\n", "proc/self/mountinfo": v2Mounts, "proc/self/status": status,
			"sys/fs/cgroup/memory.max":     "33554432\n",
			"sys/fs/cgroup/memory.current": "9000000\n",
			"sys/fs/cgroup/memory.stat":    "anon 7000000\nfile 1000000\nkernel 900000\nsock 0\n",
		}, limit: 32 << 20, used: 8000000, v2: true},
		"cgroup v2, max": {files: map[string]string{
			"proc/self/cgroup": "0::/\n", "proc/self/mountinfo": v2Mounts, "proc/self/status": status,
			"sys/fs/cgroup/memory.max": "max\n",
		}},
		"cgroup v2, limit on the pod above the container": {files: map[string]string{
			"proc/self/cgroup": k8sV2Cgroup, "proc/self/mountinfo": v2Mounts, "proc/self/status": status,
			"sys/fs/cgroup/kubepods/memory.max":                             "1073741824\n",
			"sys/fs/cgroup/kubepods/burstable/memory.max":                   "max\n",
			"sys/fs/cgroup/kubepods/burstable/pod1/memory.max":              "67108864\n",
			"sys/fs/cgroup/kubepods/burstable/pod1/memory.current":          "5000000\n",
			"sys/fs/cgroup/kubepods/burstable/pod1/memory.stat":             "anon 3000000\nfile 2000000\n",
			"sys/fs/cgroup/kubepods/burstable/pod1/ctr1/memory.max":         "max\n",
			"sys/fs/cgroup/kubepods/burstable/pod1/ctr1/memory.current":     "4000000\n",
			"sys/fs/cgroup/kubepods/burstable/pod1/ctr1/memory.stat":        "anon 3000000\nfile 1000000\n",
			"sys/fs/cgroup/kubepods/burstable/pod1/ctr1/memory.swap.max":    "0\n",
			"sys/fs/cgroup/kubepods/burstable/pod1/ctr1/cgroup.controllers": "memory pids\n",
		}, limit: 64 << 20, used: 3000000, v2: true},
		"hybrid host: memory in v1, unified hierarchy empty": {files: map[string]string{
			"proc/self/cgroup": "4:memory:/user.slice\n0::/user.slice\n", "proc/self/status": status,
			"proc/self/mountinfo": "30 25 0:26 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n" +
				"31 25 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes":            "9223372036854771712\n",
			"sys/fs/cgroup/memory/user.slice/memory.limit_in_bytes": "134217728\n",
			"sys/fs/cgroup/memory/user.slice/memory.usage_in_bytes": "4096\n",
			"sys/fs/cgroup/memory/user.slice/memory.stat":           "total_cache 0\n",
			"sys/fs/cgroup/unified/user.slice/memory.max":           "1\n", // not the memory controller's
		}, limit: 128 << 20, used: 4096},
		"a limit beyond int64": {files: map[string]string{
			"proc/self/cgroup": "0::/\n", "proc/self/mountinfo": v2Mounts, "proc/self/status": status,
			"sys/fs/cgroup/memory.max": "18446744073709551615\n",
		}},
		"mount point with a space": {files: map[string]string{
			"proc/self/cgroup": "0::/\n", "proc/self/status": status,
			"proc/self/mountinfo":          `30 25 0:26 / /sys/fs/cgroup\040v2 rw - cgroup2 cgroup2 rw` + "\n",
			"sys/fs/cgroup v2/memory.max":  "1048576\n",
			"sys/fs/cgroup v2/memory.stat": "file 0\n", "sys/fs/cgroup v2/memory.current": "0\n",
		}, limit: 1 << 20, v2: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := ReadSystem(fakecgroup.Write(t, tc.files))
			if err != nil {
				t.Fatal(err)
			}
			want := System{Limit: tc.limit, InUse: tc.used, V2: tc.v2}
			if tc.limit > 0 {
				want.Anon = 1332 << 10
			}
			if s != want {
				t.Errorf("ReadSystem = %+v, want %+v", s, want)
			}
		})
	}
}

func TestReadSystemErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		files map[string]string
		want  string
	}{
		"no proc": {files: map[string]string{}, want: "no such file"},
		"no memory cgroup mounted": {files: map[string]string{
			"proc/self/cgroup": dockerV1Cgroup, "proc/self/mountinfo": "76 75 0:44 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n",
		}, want: "no memory cgroup mounted"},
		"garbage limit": {files: map[string]string{
			"proc/self/cgroup": "0::/\n", "proc/self/mountinfo": v2Mounts, "sys/fs/cgroup/memory.max": "lots\n",
		}, want: `memory.max: not a byte count: "lots"`},
		"negative limit": {files: map[string]string{
			"proc/self/cgroup": dockerV1Cgroup, "proc/self/mountinfo": dockerV1Mounts,
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "-1\n",
		}, want: "not a byte count"},
		"bad status": {files: map[string]string{
			"proc/self/cgroup": "0::/\n", "proc/self/mountinfo": v2Mounts, "proc/self/status": "RssAnon: many\nRssFile: 1 kB\n",
			"sys/fs/cgroup/memory.max": "1048576\n", "sys/fs/cgroup/memory.current": "0\n", "sys/fs/cgroup/memory.stat": "file 0\n",
		}, want: "bad RssAnon"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadSystem(fakecgroup.Write(t, tc.files))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadSystem error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestReadsThisProcess reads the real /proc of the test process: whatever the machine's
// cgroup setup, the process has resident memory and a readable cgroup.
func TestReadsThisProcess(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("only Linux has /proc and cgroups; the fake trees above test the parsing everywhere")
	}
	anon, file, err := Resident("/", "self")
	if err != nil || anon <= 0 || file <= 0 {
		t.Fatalf("Resident = %d, %d, %v", anon, file, err)
	}
	if _, err := ReadSystem("/"); err != nil {
		t.Errorf("ReadSystem(/) = %v", err)
	}
}

// TestRead checks what the serve command reads: this process's cgroup on Linux, and
// ErrNoCgroups everywhere else.
func TestRead(t *testing.T) {
	t.Parallel()
	_, err := Read()
	if runtime.GOOS == "linux" {
		if err != nil {
			t.Errorf("Read() on Linux = %v", err)
		}
	} else if !errors.Is(err, ErrNoCgroups) {
		t.Errorf("Read() on %s = %v, want ErrNoCgroups", runtime.GOOS, err)
	}
}
