// Package mountinfo reads one line of /proc/PID/mountinfo (proc(5)): where a file system is
// mounted, which part of it the mount shows, its type and its options. memlimit finds the
// memory cgroup with it; the test cluster's host checks (deploy/) list mounts with it.
package mountinfo

import (
	"strconv"
	"strings"
)

// Mount is one line: "ID PARENT MAJOR:MINOR ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE
// SUPER-OPTIONS".
type Mount struct {
	Root         string // the part of the file system the mount shows
	Point        string // where it is mounted
	FSType       string
	SuperOptions string // the file system's own options, e.g. a cgroup v1 hierarchy's controllers
}

// Parse reads one line, undoing the octal escapes of Root and Point. ok is false for a line
// without the fields a mount has.
func Parse(line string) (m Mount, ok bool) {
	pre, post, found := strings.Cut(line, " - ")
	f, p := strings.Fields(pre), strings.Fields(post)
	if !found || len(f) < 5 || len(p) < 3 {
		return Mount{}, false
	}
	return Mount{Root: unescape(f[3]), Point: unescape(f[4]), FSType: p[0], SuperOptions: p[2]}, true
}

// unescape undoes mountinfo's \ooo escapes of space, tab, newline and backslash.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
