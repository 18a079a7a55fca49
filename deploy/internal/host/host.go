// Package host reads and restores the parts of a Linux host that a test cluster
// changes: sysctls, mounts, cgroups, processes, network links, netfilter rules and a few
// well-known directories. A Snapshot taken before the cluster starts is what its teardown
// restores and then compares against, so that it can say what, if anything, it left.
package host

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/getsmall/getsmall/internal/mountinfo"
)

// Sysctl reads one sysctl by its dotted name ("kernel.panic"). ok is false when the
// kernel has no such setting.
func Sysctl(name string) (value string, ok bool, err error) {
	b, err := os.ReadFile(sysctlPath(name))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return strings.TrimSpace(string(b)), true, nil
}

// SetSysctl writes one sysctl.
func SetSysctl(name, value string) error {
	return os.WriteFile(sysctlPath(name), []byte(value), 0o600) // the file exists: the mode is not used
}

func sysctlPath(name string) string {
	return filepath.Join("/proc/sys", strings.ReplaceAll(name, ".", "/"))
}

// Mount is one line of /proc/self/mountinfo.
type Mount struct {
	Point  string
	FSType string
}

// Mounts lists the current mounts.
func Mounts() ([]Mount, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	return parseMountinfo(b)
}

// parseMountinfo reads mountinfo(5): the fifth field is the mount point (octal-escaped),
// and the file system type follows the " - " separator.
func parseMountinfo(b []byte) ([]Mount, error) {
	var mounts []Mount
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		m, ok := mountinfo.Parse(sc.Text())
		if !ok {
			return nil, fmt.Errorf("mountinfo: cannot parse %q", sc.Text())
		}
		mounts = append(mounts, Mount{Point: m.Point, FSType: m.FSType})
	}
	return mounts, sc.Err()
}

// MountsUnder returns the mount points at or below dir, deepest first: the order they
// must be unmounted in.
func MountsUnder(mounts []Mount, dir string) []string {
	var under []string
	for _, m := range mounts {
		if m.Point == dir || strings.HasPrefix(m.Point, dir+"/") {
			under = append(under, m.Point)
		}
	}
	slices.SortFunc(under, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	return under
}

// UnmountUnder detaches every mount at or below dir, deepest first. Detaching (lazy
// unmount) succeeds even while something still holds a file open inside.
func UnmountUnder(dir string) error {
	mounts, err := Mounts()
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range MountsUnder(mounts, dir) {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}
