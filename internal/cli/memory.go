package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"runtime"
	"runtime/debug"
	"strconv"

	"github.com/getsmall/getsmall/memlimit"
	"github.com/getsmall/getsmall/server"
)

// memoryFit is what the memory limit decided: the start-up line's memory part, warnings to
// log before it, and the Go soft memory limit to set (0: leave the runtime's).
type memoryFit struct {
	summary   string
	warnings  []string
	softLimit int64
}

// withProcs adds GOMAXPROCS to what read found, the threads the model keeps room for, and
// whether this build has places in a request.
func withProcs(read func() (memlimit.System, error)) (memlimit.System, error) {
	sys, err := read()
	sys.Procs = runtime.GOMAXPROCS(0)
	sys.OneCap = !server.HasPlaces
	return sys, err
}

// fitMemory derives the connection cap (unless -max-conns or MAX_CONNS set it) and the Go
// soft memory limit (unless GOMEMLIMIT set it, to currentSoft) from sys. A setting that
// does not fit is kept, with a warning: the operator may know better, and a refusal would
// be an outage.
func fitMemory(cfg *server.Config, connsSet, softSet bool, currentSoft int64, sys memlimit.System, sysErr error) memoryFit {
	var f memoryFit
	// No cgroups (not Linux) or no cgroup files (a Linux without them mounted): no limit is
	// known, which the start-up line says; anything else is worth a warning.
	noCgroups := errors.Is(sysErr, memlimit.ErrNoCgroups)
	if sysErr != nil && !errors.Is(sysErr, fs.ErrNotExist) && !noCgroups {
		f.warnings = append(f.warnings, fmt.Sprintf("cannot read the memory limit (%v): deriving nothing from it", sysErr))
		sys.Limit = 0
	}
	b := sys.Derive(cfg.MaxHeaderBytes, cfg.MaxBodyBytes)
	conns, soft := "max-conns "+strconv.Itoa(b.MaxConns), ""
	switch {
	case connsSet:
		conns = "max-conns " + strconv.Itoa(cfg.MaxConns) + " (set)"
		if sys.Limit > 0 && !b.Fits(cfg.MaxConns) {
			each := "at up to " + kib(b.ConnBytes) + " each"
			if b.ParkedBytes < b.ConnBytes {
				each = fmt.Sprintf("%d of them in a request %s, the rest at %s", min(b.Fit(), b.MaxBusy), each, kib(b.ParkedBytes))
			}
			f.warnings = append(f.warnings, fmt.Sprintf("max-conns %d may not fit the %s memory limit: %d connections do, %s",
				cfg.MaxConns, mib(sys.Limit), b.Fit(), each))
		}
		cfg.MaxBusy = cfg.MaxConns
		if sys.Limit > 0 {
			cfg.MaxBusy = min(cfg.MaxConns, b.MaxBusy)
		}
	default:
		cfg.MaxConns, cfg.MaxBusy = b.MaxConns, b.MaxBusy
		if sys.Limit > 0 && !b.Fits(memlimit.MinConns) {
			f.warnings = append(f.warnings, fmt.Sprintf("the %s memory limit leaves room for %d connections after the server (%s in use) and a healthcheck probe: serving %d anyway; %d fit in %s",
				mib(sys.Limit), b.Fit(), mib(sys.InUse), b.MaxConns, memlimit.MinConns, mib(b.LimitFor(sys.Limit, memlimit.MinConns))))
		}
	}
	if sys.Limit > 0 {
		conns += ", " + strconv.Itoa(cfg.MaxBusy) + " in a request at once"
	}
	switch {
	case softSet:
		soft = ", GOMEMLIMIT " + mib(currentSoft) + " (set)"
		if sys.Limit > 0 && currentSoft > b.SoftLimit {
			f.warnings = append(f.warnings, fmt.Sprintf("GOMEMLIMIT %s is above the %s the memory limit leaves for Go", mib(currentSoft), mib(b.SoftLimit)))
		}
	case sys.Limit > 0:
		f.softLimit = b.SoftLimit
		soft = ", GOMEMLIMIT " + mib(b.SoftLimit)
	}
	switch {
	case sys.Limit > 0:
		f.summary = "memory limit " + mib(sys.Limit) + ", " + mib(sys.InUse) + " in use: " + conns + soft
	case noCgroups:
		f.summary = "no memory limit known (" + sysErr.Error() + "): " + conns + soft
	default:
		f.summary = "no memory limit: " + conns + soft
	}
	return f
}

// applyMemory reads the system with read (memlimit.Read), fits cfg to it, sets the soft
// limit and returns the start-up line's memory part and the warnings.
func applyMemory(cfg *server.Config, connsSet bool, lookupEnv func(string) (string, bool), read func() (memlimit.System, error)) (string, []string) {
	sys, err := withProcs(read)
	v, softSet := lookupEnv("GOMEMLIMIT")
	softSet = softSet && v != ""
	f := fitMemory(cfg, connsSet, softSet, debug.SetMemoryLimit(-1), sys, err)
	if f.softLimit > 0 {
		debug.SetMemoryLimit(f.softLimit)
	}
	return f.summary, f.warnings
}

func mib(b int64) string {
	if b == math.MaxInt64 {
		return "unlimited"
	}
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) + " MiB"
}

func kib(b int64) string {
	return strconv.FormatFloat(float64(b)/(1<<10), 'f', 1, 64) + " KiB"
}
