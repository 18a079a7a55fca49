// Package syspath finds the system tools the load test and the memory-cost study run (nginx,
// wrk, upx, taskset, strace): on PATH, or in the sbin directories a non-root PATH lacks,
// where Debian installs nginx.
package syspath

import (
	"os"
	"os/exec"
	"path/filepath"
)

// Look returns the path of the named tool, or "" when it is not installed.
func Look(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}
