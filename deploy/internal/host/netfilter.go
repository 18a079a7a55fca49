package host

import (
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
)

// kubePrefix names every chain the kubelet and kube-proxy create.
const kubePrefix = "KUBE-"

// CleanNetfilter removes what the kubelet and kube-proxy leave in netfilter after
// `kube-proxy --cleanup` (which keeps the kubelet's KUBE-FIREWALL chain, its jumps, and
// the tables themselves): tables that did not exist before and hold only KUBE- chains and
// the rules that use them are deleted (with nft: iptables-nft cannot delete a table), and
// in tables that existed, the new KUBE- chains and the jumps to them are removed. Anything
// else that is new is someone else's and is left alone (Diff will name it). It returns
// the commands it ran.
func (s *Snapshot) CleanNetfilter() ([]string, error) {
	now, err := netfilterRules()
	if err != nil {
		return nil, err
	}
	plan, problems := planNetfilter(s.Rules, now)
	var ran []string
	var errs []error
	for _, p := range problems {
		errs = append(errs, errors.New(p))
	}
	for _, cmd := range plan {
		out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput() //nolint:gosec // built from the rules iptables-save printed
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w: %s", strings.Join(cmd, " "), err, out))
			continue
		}
		ran = append(ran, strings.Join(cmd, " "))
	}
	return ran, errors.Join(errs...)
}

// family maps an iptables-save flavour to its command and nftables family.
var family = map[string]struct{ cmd, nft string }{
	"iptables-save":  {"iptables", "ip"},
	"ip6tables-save": {"ip6tables", "ip6"},
}

// planNetfilter works out the commands that take the normalized rules now back to before,
// as far as the KUBE- chains go. problems lists new tables that hold something else.
func planNetfilter(before, now []string) (plan [][]string, problems []string) {
	type key struct{ tool, table string }
	tables := func(rules []string) (map[key][]string, []key) {
		m := map[key][]string{}
		var order []key
		for _, r := range rules {
			f := strings.SplitN(r, " ", 3)
			if len(f) != 3 {
				continue
			}
			k := key{f[0], f[1]}
			if _, ok := m[k]; !ok {
				order = append(order, k)
			}
			m[k] = append(m[k], f[2])
		}
		return m, order
	}
	was, _ := tables(before)
	is, order := tables(now)
	for _, k := range order {
		fam, ok := family[k.tool]
		if !ok {
			continue
		}
		lines := is[k]
		old, existed := was[k]
		if !existed {
			if onlyKube(lines) {
				plan = append(plan, []string{"nft", "delete", "table", fam.nft, k.table})
			} else {
				problems = append(problems, fmt.Sprintf("%s table %s: created while the cluster ran, and holds rules that are not the cluster's", fam.cmd, k.table))
			}
			continue
		}
		var chains []string
		for _, l := range lines {
			if name, policy, ok := chainLine(l); ok && policy == "-" && strings.HasPrefix(name, kubePrefix) && !slices.Contains(old, l) {
				chains = append(chains, name)
			}
		}
		if len(chains) == 0 {
			continue
		}
		for _, l := range lines {
			args, ok := strings.CutPrefix(l, "-A ")
			if !ok || slices.Contains(old, l) {
				continue
			}
			words := splitArgs(args)
			if len(words) == 0 || slices.Contains(chains, words[0]) {
				continue // inside a chain that is flushed below
			}
			if jumpsTo(words, chains) {
				plan = append(plan, append([]string{fam.cmd, "-t", k.table, "-D"}, words...))
			}
		}
		for _, c := range chains {
			plan = append(plan, []string{fam.cmd, "-t", k.table, "-F", c})
		}
		for _, c := range chains {
			plan = append(plan, []string{fam.cmd, "-t", k.table, "-X", c})
		}
	}
	return plan, problems
}

// chainLine parses ":NAME POLICY" (policy "-" for a user-defined chain).
func chainLine(l string) (name, policy string, ok bool) {
	if !strings.HasPrefix(l, ":") {
		return "", "", false
	}
	f := strings.Fields(l[1:])
	if len(f) < 2 {
		return "", "", false
	}
	return f[0], f[1], true
}

// onlyKube reports whether a table's lines hold nothing but built-in chains, KUBE-
// chains and rules that involve a KUBE- chain.
func onlyKube(lines []string) bool {
	for _, l := range lines {
		if name, policy, ok := chainLine(l); ok {
			if policy == "-" && !strings.HasPrefix(name, kubePrefix) {
				return false
			}
			continue
		}
		if !strings.Contains(l, kubePrefix) {
			return false
		}
	}
	return true
}

func jumpsTo(words, chains []string) bool {
	for i := 0; i+1 < len(words); i++ {
		if (words[i] == "-j" || words[i] == "-g") && slices.Contains(chains, words[i+1]) {
			return true
		}
	}
	return false
}

// splitArgs splits a rule as iptables-save prints it: words separated by spaces, with
// double quotes around words that hold spaces and backslash escapes inside them.
func splitArgs(s string) []string {
	var words []string
	var b strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quoted && ch == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case ch == '"':
			quoted = !quoted
			inWord = true
		case ch == ' ' && !quoted:
			if inWord {
				words = append(words, b.String())
				b.Reset()
				inWord = false
			}
		default:
			b.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, b.String())
	}
	return words
}
