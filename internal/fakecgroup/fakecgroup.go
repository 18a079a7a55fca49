// Package fakecgroup writes the /proc and /sys files a process reads to learn its memory
// limit into a temporary directory, so that memlimit and the serve command can be tested
// against any cgroup layout on any operating system. It is imported by tests only.
package fakecgroup

import (
	"os"
	"path/filepath"
	"testing"
)

// Write writes files (a path relative to the fake root, then its content) into a new
// temporary directory and returns it.
func Write(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// DockerV1 is a container's view under Docker on a cgroup v1 host with the host's cgroup
// namespace (as this project's CI machines run it): memory.limit_in_bytes is limit, 2 MiB
// is charged, no page cache, and the process holds 1,280 KiB anonymous and 5,120 KiB
// file-backed memory.
func DockerV1(limit string) map[string]string {
	return map[string]string{
		"proc/self/cgroup":                           "4:memory:/docker/abc\n0::/\n",
		"proc/self/mountinfo":                        "80 76 0:32 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n",
		"proc/self/status":                           "RssAnon:\t    1280 kB\nRssFile:\t    5120 kB\n",
		"sys/fs/cgroup/memory/memory.limit_in_bytes": limit + "\n",
		"sys/fs/cgroup/memory/memory.usage_in_bytes": "2097152\n",
		"sys/fs/cgroup/memory/memory.stat":           "total_cache 0\n",
	}
}
