package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/getsmall/getsmall/memlimit"
	"github.com/getsmall/getsmall/server"
)

// fakeRoot writes a container's view of /proc and /sys with the given memory.limit_in_bytes
// (cgroup v1, Docker with the host's cgroup namespace, 2 MB charged at start) and returns it.
func fakeRoot(t *testing.T, limit string) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"proc/self/cgroup":                           "4:memory:/docker/abc\n0::/\n",
		"proc/self/mountinfo":                        "80 76 0:32 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n",
		"proc/self/status":                           "RssAnon:\t    1280 kB\nRssFile:\t    5120 kB\n",
		"sys/fs/cgroup/memory/memory.limit_in_bytes": limit + "\n",
		"sys/fs/cgroup/memory/memory.usage_in_bytes": "2097152\n",
		"sys/fs/cgroup/memory/memory.stat":           "total_cache 0\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestFitMemory runs the derivation the serve command runs at start, on fake cgroup trees.
func TestFitMemory(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	sys16, err := readSystem(fakeRoot(t, "16777216"))
	if err != nil {
		t.Fatal(err)
	}
	derived := sys16.Derive(4096, 4096)

	tests := map[string]struct {
		root        string
		maxConns    int // explicit when > 0
		softSet     int64
		wantConns   int
		wantSoft    bool // a soft limit is to be set
		wantSummary string
		wantWarning string
	}{
		"16 MiB, derived": {
			root: fakeRoot(t, "16777216"), wantConns: derived.MaxConns, wantSoft: true,
			wantSummary: `^memory limit 16\.0 MiB, 2\.0 MiB in use: max-conns ` + strconv.Itoa(derived.MaxConns) + `, GOMEMLIMIT \d+\.\d MiB$`,
		},
		"explicit max-conns that fits": {
			root: fakeRoot(t, "16777216"), maxConns: 10, wantConns: 10, wantSoft: true,
			wantSummary: `max-conns 10 \(set\), GOMEMLIMIT`,
		},
		"explicit max-conns that does not fit": {
			root: fakeRoot(t, "16777216"), maxConns: 100000, wantConns: 100000, wantSoft: true,
			wantSummary: `max-conns 100000 \(set\)`,
			wantWarning: "max-conns 100000 may not fit the 16.0 MiB memory limit: " + strconv.Itoa(derived.MaxConns) + " connections do, at up to 32.0 KiB each",
		},
		"GOMEMLIMIT above what fits": {
			root: fakeRoot(t, "16777216"), softSet: 64 * mib, wantConns: derived.MaxConns,
			wantSummary: `GOMEMLIMIT 64\.0 MiB \(set\)$`,
			wantWarning: "GOMEMLIMIT 64.0 MiB is above the",
		},
		"GOMEMLIMIT that fits": {
			root: fakeRoot(t, "16777216"), softSet: 4 * mib, wantConns: derived.MaxConns,
			wantSummary: `GOMEMLIMIT 4\.0 MiB \(set\)$`,
		},
		"no limit (v1's unlimited)": {
			root: fakeRoot(t, "9223372036854771712"), wantConns: memlimit.NoLimitConns,
			wantSummary: `^no memory limit: max-conns 1024$`,
		},
		"a limit below what the server needs": {
			root: fakeRoot(t, "4194304"), wantConns: memlimit.MinConns, wantSoft: true,
			wantSummary: `max-conns 16, GOMEMLIMIT`,
			wantWarning: "the 4.0 MiB memory limit leaves room for 0 connections after the server (2.0 MiB in use) and a healthcheck probe: serving 16 anyway; 16 fit in ",
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
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := server.Defaults()
			if tc.maxConns > 0 {
				cfg.MaxConns = tc.maxConns
			}
			sys, err := readSystem(tc.root)
			f := fitMemory(&cfg, tc.maxConns > 0, tc.softSet > 0, tc.softSet, sys, err)
			if cfg.MaxConns != tc.wantConns {
				t.Errorf("MaxConns = %d, want %d", cfg.MaxConns, tc.wantConns)
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
