package main

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/getsmall/getsmall/deploy/internal/host"
)

// lostComment marks the netfilter rules that cut a lost node off, so that start-node and
// down find them and nothing else.
const lostComment = "getsmall-k8s-lost-node"

// nodeNamed returns the node called name. The first node cannot be lost: the API server
// listens on its address.
func (c *Cluster) nodeNamed(name string) (node, error) {
	var names []string
	for _, n := range c.nodes() {
		if n.name == name && n.index > 0 {
			return n, nil
		}
		if n.index > 0 {
			names = append(names, n.name)
		}
	}
	if len(names) == 0 {
		return node{}, fmt.Errorf("node %q: the cluster has one node, and the first cannot be lost (the API server is on it)", name)
	}
	return node{}, fmt.Errorf("node %q: want one of %s (the first node cannot be lost: the API server is on it)", name, strings.Join(names, ", "))
}

// StopNode loses a node the way a machine that loses power is lost: its kubelet, its
// containerd, its shims and its containers are killed at once (SIGKILL, no shutdown), and
// packets to its pods are dropped without an answer, as they would vanish on a wire to a
// dead machine (its pods' network namespaces outlive their processes here, and would
// otherwise answer with resets). Kubernetes is not told: the node controller finds out
// when the kubelet's reports stop.
func (c *Cluster) StopNode(w io.Writer, name string) error {
	n, err := c.nodeNamed(name)
	if err != nil {
		return err
	}
	if err := block(n); err != nil {
		return err
	}
	var pids []int
	for _, comp := range c.components() {
		if comp.name == n.kubelet() || comp.name == n.containerd() {
			if pid, ok := c.running(comp); ok {
				pids = append(pids, pid)
			}
		}
	}
	// The node's shims (started by its containerd, their -address names its socket) and
	// the containers in its cgroup.
	procs, err := host.FindWhere(func(pid int, cmdline string) bool {
		return host.InCgroup(pid, n.cgroupRoot()) || strings.Contains(cmdline, n.socket(c))
	})
	if err != nil {
		return err
	}
	for _, p := range procs {
		pids = append(pids, p.PID)
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	fmt.Fprintf(w, "node %s lost at %s: %d processes killed, packets to %s dropped\n", n.name, time.Now().Format("15:04:05.000"), len(pids), n.subnet)
	return nil
}

// StartNode brings a lost node back: the packets flow again, then its containerd and
// kubelet start, and the node reports Ready.
func (c *Cluster) StartNode(w io.Writer, name string) error {
	n, err := c.nodeNamed(name)
	if err != nil {
		return err
	}
	if err := unblock(n); err != nil {
		return err
	}
	comps := map[string]component{}
	for _, comp := range c.components() {
		comps[comp.name] = comp
	}
	for _, s := range []struct {
		name  string
		ready func() error
	}{
		{n.containerd(), func() error { return c.containerdReady(n) }},
		{n.kubelet(), func() error { return c.nodeReady(n) }},
	} {
		if _, ok := c.running(comps[s.name]); ok {
			continue
		}
		if err := c.start(comps[s.name]); err != nil {
			return err
		}
		if err := s.ready(); err != nil {
			return fmt.Errorf("%s: %w (log: %s)", s.name, err, c.logFile(s.name))
		}
	}
	fmt.Fprintf(w, "node %s back and Ready at %s\n", n.name, time.Now().Format("15:04:05.000"))
	return nil
}

// lostRules are the rules that drop packets to a lost node's pods: from the host (the
// Service's clients, kube-proxy's DNAT) and forwarded from the other nodes' pods. The node's
// own address is the host's and stays reachable (nothing listens on it once the kubelet
// is dead).
func lostRules(n node) [][]string {
	var rules [][]string
	for _, chain := range []string{"OUTPUT", "FORWARD"} {
		rules = append(rules, []string{chain, "-d", n.subnet, "-m", "addrtype", "!", "--dst-type", "LOCAL",
			"-m", "comment", "--comment", lostComment, "-j", "DROP"})
	}
	return rules
}

func block(n node) error {
	for _, r := range lostRules(n) {
		args := append([]string{"-w", "-I", r[0], "1"}, r[1:]...)
		if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil { //nolint:gosec // fixed rules
			return fmt.Errorf("iptables %s: %w: %s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// unblock deletes every copy of the node's drop rules; none is not an error.
func unblock(n node) error {
	var errs []error
	for _, r := range lostRules(n) {
		args := append([]string{"-w", "-D", r[0]}, r[1:]...)
		for range 10 {
			err := exec.Command("iptables", args...).Run() //nolint:gosec // fixed rules
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				break // no such rule (left)
			}
			if err != nil {
				errs = append(errs, err)
				break
			}
		}
	}
	return errors.Join(errs...)
}
