// Command cluster runs a Kubernetes of one to three nodes on this machine for the
// project's tests: etcd, the control plane, per node a kubelet with its own containerd,
// bridge, pod subnet and cgroup root, one kube-proxy, plus a local image registry, all as
// root processes it starts and stops by PID. Everything it makes lives in one state
// directory, except what Linux keeps elsewhere (bridges, cgroups, sysctls, netfilter
// rules), which `down` removes or restores and then checks.
//
//	cluster up     [flags]   start it, or say it is already up
//	cluster down   [flags]   stop it, clean the host, and fail if anything is left
//	cluster status [flags]   exit 0 when it is up
//	cluster env    [flags]   print KUBECONFIG, PATH and REGISTRY for a shell's eval
//	cluster stop-node -node NAME [flags]    lose a node: kill it and drop its packets
//	cluster start-node -node NAME [flags]   bring a lost node back
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: cluster up|down|status|env|stop-node|start-node [flags]")
		return 2
	}
	c := defaults()
	fs := flag.NewFlagSet("cluster "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Dir, "dir", c.Dir, "state directory: certificates, configuration, data, logs, PIDs")
	fs.StringVar(&c.Bin, "bin", c.Bin, "directory holding the Kubernetes binaries (make k8s-build)")
	fs.StringVar(&c.PauseBin, "pause", c.PauseBin, "the pause binary to build the sandbox image from")
	fs.StringVar(&c.ProbeBin, "probe", c.ProbeBin, "the probe binary to build the client pods' image from")
	fs.StringVar(&c.MetricsServerBin, "metrics-server", c.MetricsServerBin, "metrics-server's binary: run it (the metrics API the autoscaler reads)")
	fs.StringVar(&c.CoreDNSBin, "coredns", c.CoreDNSBin, "CoreDNS's binary: run it as the cluster DNS")
	fs.StringVar(&c.KubeRouterBin, "kube-router", c.KubeRouterBin, "kube-router's binary: run its firewall to enforce NetworkPolicy")
	fs.StringVar(&c.VictoriaMetricsBin, "victoria-metrics", c.VictoriaMetricsBin, "VictoriaMetrics' binary: run it to scrape the pods it discovers")
	nodeArg := fs.String("node", "", "stop-node, start-node: the node's name (getsmall-node-2, ...)")
	fs.StringVar(&c.RegistryBin, "registry", c.RegistryBin, "go-containerregistry's registry binary")
	fs.IntVar(&c.RegistryPort, "registry-port", c.RegistryPort, "port of the local image registry on 127.0.0.1")
	fs.IntVar(&c.Nodes, "nodes", c.Nodes, fmt.Sprintf("how many nodes (kubelets, each with its own containerd), 1 to %d", maxNodes))
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cluster: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if c.Nodes < 1 || c.Nodes > maxNodes {
		fmt.Fprintf(stderr, "cluster: -nodes %d: want 1 to %d\n", c.Nodes, maxNodes)
		return 2
	}
	if c.Bin == "" {
		fmt.Fprintln(stderr, "cluster: -bin is required: the directory make k8s-build fills")
		return 2
	}
	// The components run in the state directory: every path they get must be absolute.
	for _, p := range []*string{&c.Dir, &c.Bin, &c.PauseBin, &c.ProbeBin, &c.MetricsServerBin, &c.CoreDNSBin, &c.KubeRouterBin, &c.VictoriaMetricsBin, &c.RegistryBin} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			fmt.Fprintln(stderr, "cluster:", err)
			return 2
		}
		*p = abs
	}
	// A running cluster keeps its node count: -nodes only matters to up.
	if args[0] != "up" {
		if err := c.loadNodes(); err != nil {
			fmt.Fprintln(stderr, "cluster:", err)
			return 1
		}
	}
	var err error
	switch args[0] {
	case "up":
		err = c.Up(stdout)
	case "down":
		err = c.Down(stdout)
	case "status":
		err = c.Status(stdout)
	case "env":
		err = c.Env(stdout)
	case "stop-node":
		err = c.StopNode(stdout, *nodeArg)
	case "start-node":
		err = c.StartNode(stdout, *nodeArg)
	default:
		fmt.Fprintf(stderr, "cluster: unknown command %q: want up, down, status, env, stop-node or start-node\n", args[0])
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "cluster "+args[0]+": "+err.Error())
		if errors.Is(err, errNotUp) {
			return 3
		}
		return 1
	}
	return 0
}
