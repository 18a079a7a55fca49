package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/getsmall/getsmall/deploy/internal/host"
)

// Status reports whether the cluster is up: every component's PID file names a live
// process. A partial cluster is an error that says to run down first.
func (c *Cluster) Status(w io.Writer) error {
	var up, down []string
	for _, comp := range c.components() {
		if _, ok := c.running(comp); ok {
			up = append(up, comp.name)
		} else {
			down = append(down, comp.name)
		}
	}
	switch {
	case len(down) == 0:
		fmt.Fprintf(w, "cluster is up: state in %s, KUBECONFIG=%s, registry 127.0.0.1:%d\n", c.Dir, c.kubeconfig("admin"), c.RegistryPort)
		return nil
	case len(up) == 0:
		if _, err := os.Stat(c.Dir); err == nil {
			return fmt.Errorf("not up, but %s is left from an earlier run: run make k8s-down to clean it", c.Dir)
		}
		return errNotUp
	default:
		return fmt.Errorf("partly up (running: %s; stopped: %s): run make k8s-down, then k8s-up", strings.Join(up, ", "), strings.Join(down, ", "))
	}
}

// Up starts the cluster, or says it is already up. On failure it tears down what it
// started.
func (c *Cluster) Up(w io.Writer) error {
	// A cluster already up is checked with the node count it was started with.
	running := *c
	if err := running.loadNodes(); err != nil {
		return err
	}
	err := running.Status(io.Discard)
	if err == nil {
		fmt.Fprintf(w, "cluster is already up: state in %s (make k8s-down stops it)\n", c.Dir)
		return nil
	}
	if !errors.Is(err, errNotUp) {
		return err
	}
	if err := c.preflight(); err != nil {
		return err
	}
	start := time.Now()
	if err := c.up(w); err != nil {
		fmt.Fprintf(w, "up failed: %v\nlogs: %s\ntearing down what was started\n", err, c.path("logs"))
		// Keep the logs of the failed start: copy them out before down removes the state.
		if saved, cerr := c.saveLogs(); cerr == nil {
			fmt.Fprintf(w, "logs kept in %s\n", saved)
		}
		if derr := c.Down(w); derr != nil {
			return errors.Join(err, fmt.Errorf("teardown: %w", derr))
		}
		return err
	}
	fmt.Fprintf(w, "cluster up in %.1f s\n", time.Since(start).Seconds())
	return c.Status(w)
}

// preflight checks what up needs before it changes anything.
func (c *Cluster) preflight() error {
	if os.Geteuid() != 0 {
		return errors.New("needs root: it creates a bridge, cgroups and mounts")
	}
	var missing []string
	for _, comp := range c.components() {
		if _, err := exec.LookPath(comp.args[0]); err != nil {
			missing = append(missing, comp.args[0])
		}
	}
	tools := []string{"ip", "ctr", "runc", "iptables", "/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/usr/lib/cni/loopback"}
	if c.KubeRouterBin != "" {
		tools = append(tools, "ipset") // kube-router's policies match on sets of pod addresses
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	for flag, bin := range map[string]string{"-pause": c.PauseBin, "-probe": c.ProbeBin} {
		if bin == "" {
			missing = append(missing, flag+" binary")
		}
	}
	for _, img := range c.images() {
		if _, err := os.Stat(img.bin); img.bin != "" && err != nil {
			missing = append(missing, img.bin)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing: %s (make k8s-build builds Kubernetes and the add-ons; Debian packages: etcd-server containerd runc containernetworking-plugins iptables iproute2 ipset)", strings.Join(missing, ", "))
	}
	return nil
}

func (c *Cluster) up(w io.Writer) error {
	for _, d := range []string{"pids", "logs", "etcd", "apiserver"} {
		if err := os.MkdirAll(c.path(d), 0o700); err != nil {
			return err
		}
	}
	for _, n := range c.nodes() {
		for _, d := range []string{"kubelet", "pod-logs", "containerd", "runc", "cni/ipam"} {
			if err := os.MkdirAll(n.dir(c, d), 0o700); err != nil {
				return err
			}
		}
	}
	// What the host looks like before anything changes it: down restores it and compares.
	snap, err := host.Take(sysctlsTouched, pathsTouched)
	if err != nil {
		return err
	}
	if err := snap.Save(c.snapshotFile()); err != nil {
		return err
	}
	if err := writeFile(c.nodesFile(), []byte(strconv.Itoa(len(c.nodes()))+"\n"), 0o644); err != nil {
		return err
	}
	step := func(format string, args ...any) {
		fmt.Fprintf(w, "  %-52s %s\n", fmt.Sprintf(format, args...), time.Now().Format("15:04:05"))
	}
	step("certificates and configuration")
	if err := c.writePKI(); err != nil {
		return err
	}
	if err := c.writeConfigs(); err != nil {
		return err
	}
	mounts, err := host.Mounts()
	if err != nil {
		return err
	}
	if err := host.CreateCgroup(mounts, cgroupRoot); err != nil {
		return err
	}
	for _, n := range c.nodes() {
		step("node %s: bridge %s %s/24, cgroup %s", n.name, n.bridge, n.ip, n.cgroupRoot())
		if err := network(n); err != nil {
			return err
		}
		if err := host.CreateCgroup(mounts, n.cgroupRoot()); err != nil {
			return err
		}
	}
	comps := map[string]component{}
	for _, comp := range c.components() {
		comps[comp.name] = comp
	}
	type starting struct {
		name  string
		ready func() error
	}
	order := []starting{
		{"etcd", c.etcdReady},
		{"kube-apiserver", c.apiReady},
		{"kube-controller-manager", nil},
		{"kube-scheduler", nil},
	}
	for _, n := range c.nodes() {
		order = append(order,
			starting{n.containerd(), func() error { return c.containerdReady(n) }},
			starting{n.kubelet(), func() error { return c.nodeReady(n) }})
	}
	order = append(order, starting{"kube-proxy", c.proxyReady}, starting{"registry", c.registryReady})
	for _, s := range order {
		step("start %s", s.name)
		if err := c.start(comps[s.name]); err != nil {
			return err
		}
		if s.ready != nil {
			if err := s.ready(); err != nil {
				return fmt.Errorf("%s: %w (log: %s)", s.name, err, c.logFile(s.name))
			}
		}
		// The kubelet sets kernel tunables (kernel.panic, vm.overcommit_memory...) once at
		// start. The machine is shared: put every recorded setting back now, not only at down.
		changed, err := snap.RestoreSysctls()
		if err != nil {
			return err
		}
		if len(changed) > 0 {
			step("restored what %s changed: %s", s.name, strings.Join(changed, "; "))
		}
	}
	step("wait for the default service account")
	if err := c.waitFor("the default service account", 60*time.Second, func() error {
		return c.kubectlRun("get", "serviceaccount", "default", "--namespace", "default")
	}); err != nil {
		return err
	}
	if names := c.addons(); len(names) > 0 {
		step("add-ons: %s", strings.Join(names, ", "))
	}
	return c.applyAddons()
}

// network creates the bridge the CNI plugin attaches a node's pods to, with the node's
// address: the kubelet refuses a loopback node IP, pod IPs on this bridge are reachable
// from the host, and the host forwards between the nodes' bridges (pods' default route is
// their node's address).
func network(n node) error {
	for _, args := range [][]string{
		{"link", "add", n.bridge, "type", "bridge"},
		{"addr", "add", n.ip + "/24", "dev", n.bridge},
		{"link", "set", n.bridge, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil { //nolint:gosec // fixed arguments
			return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// saveLogs copies the logs directory next to the state directory.
func (c *Cluster) saveLogs() (string, error) {
	dst := c.Dir + "-failed-logs"
	if err := os.RemoveAll(dst); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return "", err
	}
	err := filepath.WalkDir(c.path("logs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p) //nolint:gosec // the cluster's own logs
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, d.Name()), b, 0o600) //nolint:gosec // names from the logs directory
	})
	return dst, err
}
