//go:build !linux

package memlimit

// Read returns ErrNoCgroups: only Linux has cgroups, so no memory limit is known here and
// the server keeps its defaults (NoLimitConns, the Go runtime's own GOMEMLIMIT).
func Read() (System, error) { return System{}, ErrNoCgroups }
