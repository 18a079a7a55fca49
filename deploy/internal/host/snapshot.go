package host

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// Snapshot is the state of the host parts a cluster touches.
type Snapshot struct {
	Sysctls map[string]string // name → value, for the settings that exist
	Paths   map[string]bool   // path → whether it existed
	Links   []string          // network interface names
	Cgroups []string          // first-level cgroups of every hierarchy
	Rules   []string          // netfilter rules, iptables-save and ip6tables-save, normalized
}

// Take records the sysctls and paths named, and every link, first-level cgroup and
// netfilter rule.
func Take(sysctls, paths []string) (*Snapshot, error) {
	s := &Snapshot{Sysctls: map[string]string{}, Paths: map[string]bool{}}
	for _, name := range sysctls {
		v, ok, err := Sysctl(name)
		if err != nil {
			return nil, err
		}
		if ok {
			s.Sysctls[name] = v
		}
	}
	for _, p := range paths {
		_, err := os.Lstat(p)
		s.Paths[p] = err == nil
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	for _, i := range ifaces {
		s.Links = append(s.Links, i.Name)
	}
	slices.Sort(s.Links)
	mounts, err := Mounts()
	if err != nil {
		return nil, err
	}
	if s.Cgroups, err = topCgroups(mounts); err != nil {
		return nil, err
	}
	if s.Rules, err = netfilterRules(); err != nil {
		return nil, err
	}
	return s, nil
}

// Save writes s as JSON to path; Load reads it back.
func (s *Snapshot) Save(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// Load reads a snapshot written by Save.
func Load(path string) (*Snapshot, error) {
	b, err := os.ReadFile(path) //nolint:gosec // the cluster's own snapshot file
	if err != nil {
		return nil, err
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// RestoreSysctls writes back every recorded sysctl that now differs, and returns the
// names it changed.
func (s *Snapshot) RestoreSysctls() ([]string, error) {
	var changed []string
	var errs []error
	for name, want := range s.Sysctls {
		got, ok, err := Sysctl(name)
		if err != nil || !ok {
			errs = append(errs, fmt.Errorf("sysctl %s: cannot read it back (exists: %t): %w", name, ok, err))
			continue
		}
		if got == want {
			continue
		}
		if err := SetSysctl(name, want); err != nil {
			errs = append(errs, fmt.Errorf("sysctl %s: restore %q: %w", name, want, err))
			continue
		}
		changed = append(changed, fmt.Sprintf("%s %s -> %s", name, got, want))
	}
	slices.Sort(changed)
	return changed, errors.Join(errs...)
}

// RemoveCreatedPaths removes the recorded paths that did not exist then and exist now.
func (s *Snapshot) RemoveCreatedPaths() ([]string, error) {
	var removed []string
	var errs []error
	for p, existed := range s.Paths {
		if existed {
			continue
		}
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, p)
	}
	slices.Sort(removed)
	return removed, errors.Join(errs...)
}

// Diff lists how now differs from s: every sysctl, path, link, cgroup and rule that is
// not as it was. An empty list means the host is back where it was.
func (s *Snapshot) Diff(now *Snapshot) []string {
	var d []string
	for name, v := range s.Sysctls {
		if now.Sysctls[name] != v {
			d = append(d, fmt.Sprintf("sysctl %s = %s, was %s", name, now.Sysctls[name], v))
		}
	}
	for p, existed := range s.Paths {
		if now.Paths[p] != existed {
			d = append(d, fmt.Sprintf("path %s: exists=%t, was %t", p, now.Paths[p], existed))
		}
	}
	d = append(d, setDiff("link", s.Links, now.Links)...)
	d = append(d, setDiff("cgroup", s.Cgroups, now.Cgroups)...)
	d = append(d, setDiff("netfilter rule", s.Rules, now.Rules)...)
	slices.Sort(d)
	return d
}

func setDiff(what string, before, after []string) []string {
	var d []string
	for _, a := range after {
		if !slices.Contains(before, a) {
			d = append(d, fmt.Sprintf("%s added: %s", what, a))
		}
	}
	for _, b := range before {
		if !slices.Contains(after, b) {
			d = append(d, fmt.Sprintf("%s removed: %s", what, b))
		}
	}
	return d
}

// netfilterRules returns the IPv4 and IPv6 rules as iptables-save prints them, without
// comments, table footers and packet counters, so that two snapshots compare equal when
// the rules are the same. A host without iptables has no rules to compare.
func netfilterRules() ([]string, error) {
	var rules []string
	for _, tool := range []string{"iptables-save", "ip6tables-save"} {
		if _, err := exec.LookPath(tool); err != nil {
			continue
		}
		out, err := exec.Command(tool).Output() //nolint:gosec // iptables-save or ip6tables-save
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tool, err)
		}
		rules = append(rules, normalizeRules(tool, string(out))...)
	}
	return rules, nil
}

func normalizeRules(tool, out string) []string {
	var rules []string
	table := ""
	for _, line := range strings.Split(out, "\n") {
		switch {
		case line == "", strings.HasPrefix(line, "#"), line == "COMMIT":
		case strings.HasPrefix(line, "*"):
			table = line[1:]
		case strings.HasPrefix(line, ":"):
			// ":CHAIN POLICY [packets:bytes]": keep the chain and its policy.
			f := strings.Fields(line)
			if len(f) >= 2 {
				rules = append(rules, fmt.Sprintf("%s %s %s %s", tool, table, f[0], f[1]))
			}
		default:
			rules = append(rules, fmt.Sprintf("%s %s %s", tool, table, line))
		}
	}
	return rules
}
