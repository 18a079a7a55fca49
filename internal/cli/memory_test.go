package cli

import (
	"cmp"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/getsmall/getsmall/internal/fakecgroup"
	"github.com/getsmall/getsmall/memlimit"
	"github.com/getsmall/getsmall/server"
)

// fakeRoot is a container under Docker on a cgroup v1 host with the given
// memory.limit_in_bytes (fakecgroup.DockerV1).
func fakeRoot(t *testing.T, limit string) string {
	t.Helper()
	return fakecgroup.Write(t, fakecgroup.DockerV1(limit))
}

// readRoot is memlimit.Read for a fake root.
func readRoot(root string) func() (memlimit.System, error) {
	return func() (memlimit.System, error) { return memlimit.ReadSystem(root) }
}

// TestFitMemory runs the derivation the serve command runs at start, on fake cgroup trees.
func TestFitMemory(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	sys16, err := withProcs(readRoot(fakeRoot(t, "16777216")))
	if err != nil {
		t.Fatal(err)
	}
	derived := sys16.Derive(4096, 4096)
	each := strconv.Itoa(derived.MaxBusy) + " of them in a request at up to 32.0 KiB each, the rest at 16.0 KiB"
	if !server.HasPlaces { // the floppy build
		each = "at up to 32.0 KiB each"
	}

	tests := map[string]struct {
		root        string
		maxConns    int // explicit when > 0
		softSet     int64
		wantConns   int
		wantBusy    int  // 0: wantConns
		wantSoft    bool // a soft limit is to be set
		wantSummary string
		wantWarning string
	}{
		"16 MiB, derived": {
			root: fakeRoot(t, "16777216"), wantConns: derived.MaxConns, wantBusy: derived.MaxBusy, wantSoft: true,
			wantSummary: `^memory limit 16\.0 MiB, 2\.0 MiB in use: max-conns ` + strconv.Itoa(derived.MaxConns) + `, ` +
				strconv.Itoa(derived.MaxBusy) + ` in a request at once, GOMEMLIMIT \d+\.\d MiB$`,
		},
		"explicit max-conns that fits": {
			root: fakeRoot(t, "16777216"), maxConns: 10, wantConns: 10, wantSoft: true,
			wantSummary: `max-conns 10 \(set\), 10 in a request at once, GOMEMLIMIT`,
		},
		"explicit max-conns that does not fit": {
			root: fakeRoot(t, "16777216"), maxConns: 100000, wantConns: 100000, wantBusy: derived.MaxBusy, wantSoft: true,
			wantSummary: `max-conns 100000 \(set\), ` + strconv.Itoa(derived.MaxBusy) + ` in a request at once`,
			wantWarning: "max-conns 100000 may not fit the 16.0 MiB memory limit: " + strconv.Itoa(derived.MaxConns) + " connections do, " + each,
		},
		"GOMEMLIMIT above what fits": {
			root: fakeRoot(t, "16777216"), softSet: 64 * mib, wantConns: derived.MaxConns, wantBusy: derived.MaxBusy,
			wantSummary: `GOMEMLIMIT 64\.0 MiB \(set\)$`,
			wantWarning: "GOMEMLIMIT 64.0 MiB is above the",
		},
		"GOMEMLIMIT that fits": {
			root: fakeRoot(t, "16777216"), softSet: 4 * mib, wantConns: derived.MaxConns, wantBusy: derived.MaxBusy,
			wantSummary: `GOMEMLIMIT 4\.0 MiB \(set\)$`,
		},
		"no limit (v1's unlimited)": {
			root: fakeRoot(t, "9223372036854771712"), wantConns: memlimit.NoLimitConns,
			wantSummary: `^no memory limit: max-conns 1024$`,
		},
		"a limit below what the server needs": {
			root: fakeRoot(t, "4194304"), wantConns: memlimit.MinConns, wantSoft: true,
			wantSummary: `max-conns 16, 16 in a request at once, GOMEMLIMIT`,
			wantWarning: "the 4.0 MiB memory limit leaves room for 0 connections after the server (2.0 MiB in use) and a healthcheck probe: serving 16 anyway; 16 fit in ",
		},
		"explicit max-conns without a limit": {
			root: fakeRoot(t, "9223372036854771712"), maxConns: 5000, wantConns: 5000,
			wantSummary: `^no memory limit: max-conns 5000 \(set\)$`,
		},
		"an unreadable limit": {
			root: fakeRoot(t, "sixteen megs"), wantConns: memlimit.NoLimitConns,
			wantSummary: `^no memory limit: max-conns 1024$`,
			wantWarning: `cannot read the memory limit (/sys/fs/cgroup/memory/memory.limit_in_bytes: not a byte count: "sixteen megs"): deriving nothing from it`,
		},
		"no /proc at all": {
			root: t.TempDir(), wantConns: memlimit.NoLimitConns,
			wantSummary: `^no memory limit: max-conns 1024$`,
		},
		"no cgroups (not Linux)": {
			root: "", wantConns: memlimit.NoLimitConns,
			wantSummary: `^no memory limit known \(no cgroups on \w+\): max-conns 1024$`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := server.Defaults()
			if tc.maxConns > 0 {
				cfg.MaxConns = tc.maxConns
			}
			read := readRoot(tc.root)
			if tc.root == "" {
				read = func() (memlimit.System, error) { return memlimit.System{}, memlimit.ErrNoCgroups }
			}
			sys, err := withProcs(read)
			f := fitMemory(&cfg, tc.maxConns > 0, tc.softSet > 0, tc.softSet, sys, err)
			if cfg.MaxConns != tc.wantConns {
				t.Errorf("MaxConns = %d, want %d", cfg.MaxConns, tc.wantConns)
			}
			if want := cmp.Or(tc.wantBusy, tc.wantConns); cfg.MaxBusy != want {
				t.Errorf("MaxBusy = %d, want %d", cfg.MaxBusy, want)
			}
			if (f.softLimit > 0) != tc.wantSoft {
				t.Errorf("soft limit to set = %d, want one: %v", f.softLimit, tc.wantSoft)
			}
			if !regexp.MustCompile(tc.wantSummary).MatchString(f.summary) {
				t.Errorf("summary %q, want a match for %s", f.summary, tc.wantSummary)
			}
			switch {
			case tc.wantWarning == "" && len(f.warnings) > 0:
				t.Errorf("warnings %q, want none", f.warnings)
			case tc.wantWarning != "" && (len(f.warnings) != 1 || !strings.HasPrefix(f.warnings[0], tc.wantWarning)):
				t.Errorf("warnings %q, want one starting %q", f.warnings, tc.wantWarning)
			}
		})
	}
}
