package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/getsmall/getsmall/deploy/internal/host"
)

// Down stops the cluster and cleans the host in the order that leaves nothing behind:
// workloads first, while the kubelet can still tear down their sandboxes (network,
// mounts, cgroups); then each process by PID; then netfilter rules, mounts, the bridge,
// cgroups, sysctls and directories. Finally it compares the host with the snapshot up
// took and fails if anything differs.
func (c *Cluster) Down(w io.Writer) error {
	snap, err := host.Load(c.snapshotFile())
	if errors.Is(err, os.ErrNotExist) {
		snap = nil
	} else if err != nil {
		return err
	}
	_, dirErr := os.Stat(c.Dir)
	if snap == nil && dirErr != nil && !c.strays() {
		fmt.Fprintln(w, "cluster is not up: nothing to stop")
		return nil
	}
	start := time.Now()
	step := func(format string, args ...any) {
		fmt.Fprintf(w, "  %-52s %s\n", fmt.Sprintf(format, args...), time.Now().Format("15:04:05"))
	}
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	comps := c.components()
	byName := map[string]component{}
	for _, comp := range comps {
		byName[comp.name] = comp
	}
	nodes := c.nodes()
	_, apiUp := c.running(byName["kube-apiserver"])
	_, kubeletUp := c.running(byName[nodes[0].kubelet()])
	if apiUp && kubeletUp {
		if err := c.kubectlRun("get", "--raw", "/readyz", "--request-timeout=5s"); err != nil {
			step("API server not ready: containers are removed through containerd instead")
		} else {
			step("delete workloads (the kubelet tears down their sandboxes)")
			keep(c.deleteWorkloads())
		}
	}
	for _, name := range []string{"registry", "kube-router", "kube-proxy"} {
		if comp, ok := byName[name]; ok {
			step("stop %s", name)
			keep(c.stop(comp))
		}
	}
	for _, n := range nodes {
		step("stop %s", n.kubelet())
		keep(c.stop(byName[n.kubelet()]))
	}
	for _, n := range nodes {
		if _, ok := c.running(byName[n.containerd()]); ok {
			step("remove containers left in %s", n.containerd())
			keep(c.removeContainers(n))
		}
		step("stop %s", n.containerd())
		keep(c.stop(byName[n.containerd()]))
	}
	for _, name := range []string{"kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"} {
		step("stop %s", name)
		keep(c.stop(byName[name]))
	}
	step("stop strays (shims, container processes)")
	keep(c.stopStrays())
	step("remove kube-proxy's netfilter rules")
	keep(c.cleanupProxy())
	step("remove kube-router's netfilter rules and ipsets")
	keep(c.cleanupKubeRouter())
	if snap != nil {
		ran, err := snap.CleanNetfilter()
		keep(err)
		if len(ran) > 0 {
			step("removed what the kubelet left in netfilter: %s", strings.Join(ran, "; "))
		}
	}
	step("unmount everything under %s", c.Dir)
	keep(host.UnmountUnder(c.Dir))
	for _, n := range nodes {
		step("delete bridge %s and its ports", n.bridge)
		keep(deleteBridge(n.bridge))
		if n.index > 0 {
			keep(unblock(n)) // a node stop-node lost and nothing brought back
		}
	}
	step("remove cgroup %s", cgroupRoot)
	mounts, err := host.Mounts()
	keep(err)
	if err == nil {
		keep(host.RemoveCgroup(mounts, cgroupRoot))
	}
	if snap != nil {
		changed, err := snap.RestoreSysctls()
		keep(err)
		if len(changed) > 0 {
			step("restored sysctls: %s", strings.Join(changed, "; "))
		}
		removed, err := snap.RemoveCreatedPaths()
		keep(err)
		if len(removed) > 0 {
			step("removed directories the cluster created: %s", strings.Join(removed, " "))
		}
	}
	step("remove %s", c.Dir)
	keep(os.RemoveAll(c.Dir))

	// Check, do not trust: the host must be as up found it.
	if left := c.leftovers(snap); len(left) > 0 {
		errs = append(errs, fmt.Errorf("left behind:\n  %s", strings.Join(left, "\n  ")))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	fmt.Fprintf(w, "cluster down in %.1f s; nothing left behind (processes, mounts, links, cgroups, sysctls, netfilter rules, directories checked)\n", time.Since(start).Seconds())
	return nil
}

// deleteWorkloads deletes every namespace the tests made, then every pod left, and waits
// for the pods to be gone: each deletion runs the pod's shutdown and the CNI teardown.
func (c *Cluster) deleteWorkloads() error {
	out, err := c.kubectlOut("get", "namespaces", "-o", "jsonpath={.items[*].metadata.name}")
	if err != nil {
		return err
	}
	system := []string{"default", "kube-system", "kube-public", "kube-node-lease"}
	var ns []string
	for _, n := range strings.Fields(out) {
		if !slices.Contains(system, n) {
			ns = append(ns, n)
		}
	}
	if len(ns) > 0 {
		args := append([]string{"delete", "namespace", "--wait=true", "--timeout=120s"}, ns...)
		if err := c.kubectlRun(args...); err != nil {
			return err
		}
	}
	if err := c.kubectlRun("delete", "deployments,replicasets,daemonsets,statefulsets,jobs", "--all", "--all-namespaces", "--wait=true", "--timeout=60s"); err != nil {
		return err
	}
	return c.kubectlRun("delete", "pods", "--all", "--all-namespaces", "--wait=true", "--timeout=120s")
}

// stop stops comp by the PID it recorded, if that process is still comp.
func (c *Cluster) stop(comp component) error {
	defer os.Remove(c.pidFile(comp.name))
	pid, ok := c.running(comp)
	if !ok {
		return nil
	}
	grace := 10 * time.Second
	if strings.HasPrefix(comp.name, "kubelet") || strings.HasPrefix(comp.name, "containerd") {
		grace = 20 * time.Second
	}
	return host.Stop(pid, grace)
}

// removeContainers kills and removes what the CRI left in a node's containerd: sandboxes
// the kubelet had not garbage-collected yet, so that their mounts and shims go too.
func (c *Cluster) removeContainers(n node) error {
	ctr := func(args ...string) (string, error) {
		out, err := exec.Command("ctr", append([]string{"--address", n.socket(c), "--namespace", "k8s.io"}, args...)...).CombinedOutput() //nolint:gosec // ids containerd listed
		if err != nil {
			return "", fmt.Errorf("ctr %s: %w: %s", strings.Join(args, " "), err, out)
		}
		return string(out), nil
	}
	tasks, err := ctr("tasks", "list", "--quiet")
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range strings.Fields(tasks) {
		_, _ = ctr("tasks", "kill", "--signal", "SIGKILL", id)
		if _, err := ctr("tasks", "delete", "--force", id); err != nil {
			errs = append(errs, err)
		}
	}
	containers, err := ctr("containers", "list", "--quiet")
	if err != nil {
		return err
	}
	for _, id := range strings.Fields(containers) {
		if _, err := ctr("containers", "delete", id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// strays reports whether any process of a cluster in this state directory still runs.
func (c *Cluster) strays() bool {
	found, err := host.Find(markerEnv, c.Dir, cgroupRoot)
	return err == nil && len(found) > 0
}

// stopStrays stops the processes that carry this cluster's marker or sit in its cgroup:
// containerd's shims outlive containerd, and their containers outlive the shims.
func (c *Cluster) stopStrays() error {
	var errs []error
	for range 3 { // a shim's death may leave its container reparented: look again
		found, err := host.Find(markerEnv, c.Dir, cgroupRoot)
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return nil
		}
		for _, p := range found {
			errs = append(errs, host.Stop(p.PID, 5*time.Second))
		}
	}
	return errors.Join(errs...)
}

// cleanupProxy runs kube-proxy's own cleanup, which removes every chain and rule it
// creates (iptables, ip6tables, nftables, IPVS).
func (c *Cluster) cleanupProxy() error {
	out, err := exec.Command(filepath.Join(c.Bin, "kube-proxy"), "--cleanup").CombinedOutput() //nolint:gosec // the cluster's kube-proxy
	if err != nil {
		return fmt.Errorf("kube-proxy --cleanup: %w: %s", err, out)
	}
	return nil
}

// deleteBridge deletes the veths still attached to a node's bridge (their pods' network
// namespaces are gone when none are), then the bridge.
func deleteBridge(bridge string) error {
	ports, _ := filepath.Glob(filepath.Join("/sys/class/net", bridge, "brif", "*"))
	var errs []error
	for _, p := range ports {
		if out, err := exec.Command("ip", "link", "delete", filepath.Base(p)).CombinedOutput(); err != nil { //nolint:gosec // a port of the cluster's bridge
			errs = append(errs, fmt.Errorf("ip link delete %s: %w: %s", filepath.Base(p), err, out))
		}
	}
	if _, err := os.Stat(filepath.Join("/sys/class/net", bridge)); err == nil {
		if out, err := exec.Command("ip", "link", "delete", bridge).CombinedOutput(); err != nil { //nolint:gosec // one of the cluster's bridges
			errs = append(errs, fmt.Errorf("ip link delete %s: %w: %s", bridge, err, out))
		}
	}
	return errors.Join(errs...)
}

// leftovers compares the host with the snapshot up took, and looks for this cluster's
// processes and mounts.
func (c *Cluster) leftovers(snap *host.Snapshot) []string {
	var left []string
	if found, err := host.Find(markerEnv, c.Dir, cgroupRoot); err != nil {
		left = append(left, err.Error())
	} else {
		for _, p := range found {
			left = append(left, fmt.Sprintf("process %d: %s", p.PID, p.Cmdline))
		}
	}
	if mounts, err := host.Mounts(); err != nil {
		left = append(left, err.Error())
	} else {
		for _, m := range host.MountsUnder(mounts, c.Dir) {
			left = append(left, "mount "+m)
		}
	}
	if _, err := os.Stat(c.Dir); err == nil {
		left = append(left, "directory "+c.Dir)
	}
	if snap == nil {
		return left
	}
	now, err := host.Take(sysctlsTouched, pathsTouched)
	if err != nil {
		return append(left, err.Error())
	}
	return append(left, snap.Diff(now)...)
}
