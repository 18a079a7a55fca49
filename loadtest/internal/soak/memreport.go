package soak

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/getsmall/getsmall/memlimit"
)

// Markdown is the memcost report: the idle connection beside the peers, per-connection
// costs by state, start-up baselines and probes, whether the model's constants cover what
// was measured, and the caps the model derives.
func (m *Memcost) Markdown(lim Limits) string {
	var b strings.Builder
	if len(m.Idle) > 0 {
		b.WriteString(IdleMarkdown(m.Idle))
		if len(m.Costs) == 0 {
			return b.String()
		}
		b.WriteString("\n")
	}
	b.WriteString("| variant | connection state | container charge | RSS anon | kernel (slab) | socket buffers |\n|---|---|---:|---:|---:|---:|\n")
	model := float64(memlimit.ConnBytes(lim.HeaderBytes, lim.BodyBytes, false))
	var over []string
	for _, c := range m.Costs {
		charge := "n/a"
		if c.Cgroup != 0 {
			charge = fmt.Sprintf("%.1f", c.Cgroup/1024)
			if c.Cgroup > model {
				over = append(over, fmt.Sprintf("%s, %s: %.1f KiB", c.Variant, c.Shape, c.Cgroup/1024))
			}
		}
		if c.Sockets > memlimit.ConnSocketBytesV2 {
			over = append(over, fmt.Sprintf("%s, %s: socket buffers %.1f KiB", c.Variant, c.Shape, c.Sockets/1024))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.1f | %.1f | %.1f |\n", c.Variant, c.Shape, charge, c.Anon/1024, c.CgroupKernel/1024, c.Sockets/1024)
	}
	b.WriteString("\nKiB per connection: least-squares slopes over the connection counts held. The container\n" +
		"charge is the cgroup's (v1 here: anonymous and kernel memory, not socket buffers); socket\n" +
		"buffers are ss's skmem (r+w+f), which cgroup v2 charges as well.\n\n")
	fmt.Fprintf(&b, "Model (memlimit): %.1f KiB per connection at MAX_HEADER_BYTES=%d, MAX_BODY_BYTES=%d, plus %.1f KiB of socket buffers under cgroup v2. ",
		model/1024, lim.HeaderBytes, lim.BodyBytes, float64(memlimit.ConnSocketBytesV2)/1024)
	if len(over) == 0 {
		b.WriteString("Every measured cost is within it.\n\n")
	} else {
		b.WriteString("**Measured above the model:** " + strings.Join(over, "; ") + ".\n\n")
	}

	b.WriteString("| variant | RSS anon at start | RSS file at start | container charge at start (page cache excluded) | healthcheck probe at its peak |\n|---|---:|---:|---:|---:|\n")
	names := make([]string, 0, len(m.Baselines))
	for n := range m.Baselines {
		names = append(names, n)
	}
	sort.Strings(names)
	probes := map[string]Probe{}
	for _, p := range m.Probes {
		probes[p.Variant] = p
	}
	for _, n := range names {
		s, p := m.Baselines[n], probes[n]
		charge, probe := "n/a", mib(p.PeakRSS)+" peak RSS"
		if s.Cgroup > 0 {
			charge = mib(s.CgroupAnon + s.CgroupKernel)
			probe = "+" + mib(p.Cgroup) + " charge"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", n, mib(s.Anon), mib(s.File), charge, probe)
	}

	b.WriteString("\nCaps the model derives (memlimit.ForImage's constants, GOMAXPROCS 2):\n\n" +
		"| memory limit | plain, cgroup v1 | plain, cgroup v2 | UPX, cgroup v1 | UPX, cgroup v2 |\n|---|---:|---:|---:|---:|\n")
	for _, limit := range []int64{16 << 20, 24 << 20, 32 << 20, 64 << 20} {
		fmt.Fprintf(&b, "| %d MiB |", limit>>20)
		for _, upx := range []bool{false, true} {
			for _, v2 := range []bool{false, true} {
				s := memlimit.System{Limit: limit, InUse: memlimit.BaselinePlainBytes, Anon: memlimit.AnonPlainBytes, V2: v2, Procs: 2}
				if upx {
					s.InUse, s.Anon = memlimit.BaselineUPXBytes, memlimit.AnonUPXBytes
				}
				d := s.Derive(lim.HeaderBytes, lim.BodyBytes)
				cell := fmt.Sprintf(" %d", d.MaxConns)
				if !d.Fits(memlimit.MinConns) {
					cell = fmt.Sprintf(" %d (%d fit)", d.MaxConns, d.Fit())
				}
				b.WriteString(cell + " |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// WriteMemcost saves report.json and report.md in a new directory under dir, named after
// now, and points dir/latest at it.
func (m *Memcost) Write(dir string, lim Limits) (string, error) {
	out := filepath.Join(dir, time.Now().UTC().Format("20060102T150405Z"))
	if err := os.MkdirAll(out, 0o750); err != nil {
		return "", err
	}
	j, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(out, "report.json"), j, 0o600); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(out, "report.md"), []byte(m.Markdown(lim)), 0o600); err != nil {
		return "", err
	}
	latest := filepath.Join(dir, "latest")
	_ = os.Remove(latest)
	return out, os.Symlink(filepath.Base(out), latest)
}

func mib(b int64) string { return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20)) }
