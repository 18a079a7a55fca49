package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Cluster is one cluster of one or more nodes on this machine: where its files live and
// the addresses it uses. The network addresses are fixed: each node's bridge and /24 belong
// to the cluster; the API server and each kubelet listen on their node's bridge address,
// every other control-plane port on 127.0.0.1 only.
type Cluster struct {
	Dir      string // state directory
	Bin      string // Kubernetes binaries
	PauseBin string // the pause binary
	ProbeBin string // the probe binary: the client pods of the tests
	// The add-ons' binaries (make k8s-build): metrics-server and CoreDNS run when given.
	MetricsServerBin   string
	CoreDNSBin         string
	KubeRouterBin      string // kube-router: enforces NetworkPolicy on the first node's pods
	VictoriaMetricsBin string // VictoriaMetrics: scrapes the annotated pods it discovers
	RegistryBin        string // go-containerregistry's registry
	RegistryPort       int
	Nodes              int // how many kubelets, each with its own containerd (1 to maxNodes)
}

// The cluster's fixed names and addresses.
const (
	nodeName     = "getsmall-node" // the first node's; the others add -2, -3
	nodeIP       = "10.244.0.1"    // the first node's address: the API server advertises it
	clusterCIDR  = "10.244.0.0/16" // every node's pod subnet
	serviceCIDR  = "10.96.0.0/16"
	firstService = "10.96.0.1"
	cgroupRoot   = "/getsmall-k8s" // each node's kubelet has its own below it
	pauseImage   = "localhost/getsmall-pause:1"
	// frontProxyClient is the name the API server's aggregation proxy shows extension
	// API servers (metrics-server), which accept no other.
	frontProxyClient = "front-proxy-client"
	etcdPort         = 23790 // not etcd's default 2379: nothing else here should collide with it
	apiPort          = 6443
	// markerEnv is set in the environment of every process the cluster starts; their
	// children (containerd's shims) inherit it, which is how down finds strays.
	markerEnv = "GETSMALL_K8S_STATE"
)

// errNotUp is what status returns when no cluster runs.
var errNotUp = errors.New("not up")

// sysctlsTouched are the settings the kubelet (kernel tunables), the CNI bridge plugin and
// kube-proxy (conntrack, route_localnet) may change: up records them and puts them back.
var sysctlsTouched = []string{
	"kernel.panic", "kernel.panic_on_oops", "vm.overcommit_memory", "vm.panic_on_oom",
	"kernel.keys.root_maxkeys", "kernel.keys.root_maxbytes",
	"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding", "net.ipv4.conf.all.route_localnet",
	"net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables",
	"net.netfilter.nf_conntrack_max", "net.netfilter.nf_conntrack_tcp_timeout_established",
	"net.netfilter.nf_conntrack_tcp_timeout_close_wait", "net.netfilter.nf_conntrack_tcp_be_liberal",
}

// pathsTouched are directories outside the state directory that the kubelet, containerd
// and the CNI plugins create on their own. Those that did not exist before up are removed
// by down.
var pathsTouched = []string{
	"/var/lib/cni", "/var/log/pods", "/var/log/containers", "/var/lib/kubelet",
	"/var/lib/containerd", "/run/containerd", "/run/netns", "/var/run/kubernetes",
	"/etc/cni", "/opt/cni", "/etc/kubernetes", "/opt/containerd", "/usr/libexec/kubernetes",
}

func defaults() *Cluster {
	return &Cluster{
		Dir:          "/var/lib/getsmall-k8s",
		RegistryPort: 5001,
		Nodes:        2,
	}
}

func (c *Cluster) path(parts ...string) string {
	return filepath.Join(append([]string{c.Dir}, parts...)...)
}
func (c *Cluster) pki(name string) string { return c.path("pki", name) }
func (c *Cluster) kubeconfig(user string) string {
	return c.path("kubeconfig", user+".kubeconfig")
}
func (c *Cluster) pidFile(name string) string { return c.path("pids", name+".pid") }
func (c *Cluster) logFile(name string) string { return c.path("logs", name+".log") }
func (c *Cluster) kubectl() string            { return filepath.Join(c.Bin, "kubectl") }
func (c *Cluster) snapshotFile() string       { return c.path("host-before.json") }
func (c *Cluster) nodesFile() string          { return c.path("nodes") }

// loadNodes takes the node count from the state directory of a cluster that is up (or
// half up), so that status, env and down see the cluster up started whatever -nodes says.
func (c *Cluster) loadNodes() error {
	b, err := os.ReadFile(c.nodesFile())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 1 || n > maxNodes {
		return fmt.Errorf("%s: %q is not a node count from 1 to %d", c.nodesFile(), b, maxNodes)
	}
	c.Nodes = n
	return nil
}

// Env prints the variables a shell needs to use the cluster.
func (c *Cluster) Env(w io.Writer) error {
	if err := c.Status(io.Discard); err != nil {
		return err
	}
	fmt.Fprintf(w, "export KUBECONFIG=%s\n", c.kubeconfig("admin"))
	fmt.Fprintf(w, "export PATH=%s:$PATH\n", c.Bin)
	fmt.Fprintf(w, "export REGISTRY=127.0.0.1:%d\n", c.RegistryPort)
	return nil
}

// writeFile writes data to path, making its directory; keys and kubeconfigs are 0600.
func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, data, mode) //nolint:gosec // paths inside the state directory
}
