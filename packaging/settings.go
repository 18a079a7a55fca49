// The server's settings as the settings files list them, and the numbers the init files
// take from the server: the stop timeout, the memory cap, the socket's address.

package packaging

import (
	"flag"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/getsmall/getsmall/memlimit"
	"github.com/getsmall/getsmall/server"
)

// Setting is one of the server's settings as the packages' settings files list it: its
// environment variable, the UCI option OpenWrt names it by, what it does and its default,
// all read from the server's own flag set, so that a setting the server gains appears in
// every settings file without an edit here.
type Setting struct {
	Env     string // READ_TIMEOUT
	Option  string // read_timeout
	Usage   string // the flag's help text
	Default string // as -h shows it: 5s, auto
	Example string // the default when the server accepts it as a value, else empty
	Set     bool   // written uncommented (ADDR: where it listens is worth seeing)
}

// envInUsage finds the variable a flag's usage names, as in "(env READ_TIMEOUT)".
var envInUsage = regexp.MustCompile(` \(env ([A-Z][A-Z0-9_]*)\)$`)

// noEnv is an environment with no variable set.
func noEnv(string) (string, bool) { return "", false }

// Settings lists the server's settings, by flag name (addr first), and GOMEMLIMIT, the Go
// runtime's own variable, which the server derives unless it is set.
func Settings() ([]Setting, error) {
	cfg := server.Defaults()
	fs, err := server.NewFlagSet("packaging", &cfg, noEnv)
	if err != nil {
		return nil, fmt.Errorf("the server's flag set: %w", err)
	}
	var out []Setting
	fs.VisitAll(func(f *flag.Flag) {
		m := envInUsage.FindStringSubmatch(f.Usage)
		if m == nil {
			err = fmt.Errorf("flag -%s: no (env NAME) in its usage %q", f.Name, f.Usage)
			return
		}
		s := Setting{
			Env:     m[1],
			Option:  strings.ToLower(m[1]),
			Usage:   strings.TrimSuffix(f.Usage, m[0]),
			Default: f.DefValue,
			Set:     m[1] == "ADDR",
		}
		check := server.Defaults()
		if _, perr := server.NewFlagSet("packaging", &check, func(k string) (string, bool) {
			return f.DefValue, k == s.Env
		}); perr == nil {
			s.Example = f.DefValue
		}
		out = append(out, s)
	})
	if err != nil {
		return nil, err
	}
	return append(out, Setting{
		Env:     "GOMEMLIMIT",
		Option:  "gomemlimit",
		Usage:   "the Go runtime's soft memory limit, e.g. 24MiB; derived from the memory limit like max-conns",
		Default: "derived",
	}), nil
}

// Stop is the arithmetic of how long a stop may take: the server drains for SHUTDOWN_DELAY,
// waits up to SHUTDOWN_TIMEOUT for in-flight requests, then exits; Margin lets it exit.
type Stop struct {
	Delay, Timeout, Margin, Total string
	Seconds                       int
}

// StopMargin is the time a stop allows beyond the drain, for the process to exit.
const StopMargin = 2 * time.Second

// StopTimes derives the stop timeouts of the init systems from the server's defaults.
func StopTimes() Stop {
	d := server.Defaults()
	total := d.ShutdownDelay + d.ShutdownTimeout + StopMargin
	return Stop{
		Delay:   d.ShutdownDelay.String(),
		Timeout: d.ShutdownTimeout.String(),
		Margin:  StopMargin.String(),
		Total:   total.String(),
		Seconds: int(total / time.Second),
	}
}

// Memory is the systemd unit's MemoryMax= and the connection caps the server derives from it.
type Memory struct {
	Max                  string
	Bytes                int64
	ConnsUPX, ConnsPlain int
	// MinUPX is the limit below which the UPX-packed server has room for no connection, in
	// MiB, rounded up.
	MinUPX int64
}

// MemoryMaxBytes is the unit's MemoryMax=: 32 MiB. The UPX-packed server holds an unpacked
// copy of itself (about 8 MiB) and has room for no connection below about 19 MiB
// (docs/memory.md); at 32 MiB it derives a cap of about 190 connections under cgroup v2, the
// plain build about 390. A health endpoint behind a load balancer needs far fewer.
const MemoryMaxBytes = 32 << 20

// MemoryCaps computes what the server derives at MemoryMaxBytes under cgroup v2 with two
// CPUs, from the product's own memory model.
func MemoryCaps() Memory {
	upx := memlimit.ForImage(MemoryMaxBytes, true, 2)
	return Memory{
		Max:        fmt.Sprintf("%dM", MemoryMaxBytes>>20),
		Bytes:      MemoryMaxBytes,
		ConnsUPX:   upx.MaxConns,
		ConnsPlain: memlimit.ForImage(MemoryMaxBytes, false, 2).MaxConns,
		MinUPX:     (upx.LimitFor(MemoryMaxBytes, 1) + 1<<20 - 1) >> 20,
	}
}

// ListenStream is the systemd socket's ListenStream= for a listen address: :8080 (every
// address) is the port alone, which systemd binds on IPv6 and IPv4 as Go does.
func ListenStream(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "" {
		return port, nil
	}
	return addr, nil
}
