package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/getsmall/getsmall/deploy/internal/host"
)

// component is one long-running process of the cluster.
type component struct {
	name string
	args []string // args[0] is the program
}

// components returns the cluster's processes in start order; down stops them in reverse.
func (c *Cluster) components() []component {
	k := func(name string) string { return filepath.Join(c.Bin, name) }
	common := []string{"--profiling=false"}
	comps := []component{
		{"etcd", []string{
			"etcd", "--name", "getsmall", "--data-dir", c.path("etcd"),
			"--listen-client-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPort),
			"--advertise-client-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPort),
			"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPort+10),
			"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPort+10),
			"--initial-cluster", fmt.Sprintf("getsmall=http://127.0.0.1:%d", etcdPort+10),
			"--listen-metrics-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPort+20),
			"--logger", "zap", "--log-level", "warn",
		}},
		{"kube-apiserver", append([]string{
			k("kube-apiserver"),
			fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", etcdPort),
			// On the first node's bridge address, not loopback: the pods reach it there
			// through the kubernetes Service (metrics-server and CoreDNS read the API),
			// and nothing outside this machine has a route to the bridge.
			"--bind-address=" + nodeIP, fmt.Sprintf("--secure-port=%d", apiPort), "--advertise-address=" + nodeIP,
			"--cert-dir=" + c.path("apiserver"),
			"--tls-cert-file=" + c.pki("apiserver.crt"), "--tls-private-key-file=" + c.pki("apiserver.key"),
			"--client-ca-file=" + c.pki("ca.crt"),
			"--kubelet-client-certificate=" + c.pki("apiserver-kubelet-client.crt"),
			"--kubelet-client-key=" + c.pki("apiserver-kubelet-client.key"),
			"--kubelet-certificate-authority=" + c.pki("ca.crt"),
			"--kubelet-preferred-address-types=InternalIP",
			"--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
			"--allow-privileged=false",
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file=" + c.pki("sa.pub"),
			"--service-account-signing-key-file=" + c.pki("sa.key"),
			"--service-cluster-ip-range=" + serviceCIDR,
			// The aggregation layer, for metrics-server: the proxy's client certificate and
			// the headers it passes the user in. Routing to the endpoints' addresses, not
			// the Service's: the API server runs on the host, beside kube-proxy's rules.
			"--requestheader-client-ca-file=" + c.pki("front-proxy-ca.crt"),
			"--requestheader-allowed-names=" + frontProxyClient,
			"--requestheader-username-headers=X-Remote-User",
			"--requestheader-group-headers=X-Remote-Group",
			"--requestheader-extra-headers-prefix=X-Remote-Extra-",
			"--proxy-client-cert-file=" + c.pki("front-proxy-client.crt"),
			"--proxy-client-key-file=" + c.pki("front-proxy-client.key"),
			"--enable-aggregator-routing=true",
		}, common...)},
		{"kube-controller-manager", append([]string{
			k("kube-controller-manager"),
			"--kubeconfig=" + c.kubeconfig("controller-manager"),
			"--authentication-kubeconfig=" + c.kubeconfig("controller-manager"),
			"--authorization-kubeconfig=" + c.kubeconfig("controller-manager"),
			"--bind-address=127.0.0.1", "--leader-elect=false", "--use-service-account-credentials=true",
			"--tls-cert-file=" + c.pki("controller-manager-serving.crt"),
			"--tls-private-key-file=" + c.pki("controller-manager-serving.key"),
			"--service-account-private-key-file=" + c.pki("sa.key"), "--root-ca-file=" + c.pki("ca.crt"),
			"--cluster-signing-cert-file=" + c.pki("ca.crt"), "--cluster-signing-key-file=" + c.pki("ca.key"),
			"--service-cluster-ip-range=" + serviceCIDR, "--allocate-node-cidrs=false",
			"--flex-volume-plugin-dir=" + c.path("controller-manager-plugins"),
			// A node that stops reporting is marked unknown, and its pods not ready (out of
			// every Service), after this long: 20 s here, 50 s by default. Two missed
			// reports of the kubelet's 10 s, and docs/kubernetes.md measures what it costs.
			"--node-monitor-grace-period=20s",
		}, common...)},
		{"kube-scheduler", append([]string{
			k("kube-scheduler"),
			"--kubeconfig=" + c.kubeconfig("scheduler"),
			"--authentication-kubeconfig=" + c.kubeconfig("scheduler"),
			"--authorization-kubeconfig=" + c.kubeconfig("scheduler"),
			"--bind-address=127.0.0.1", "--leader-elect=false",
			"--tls-cert-file=" + c.pki("scheduler-serving.crt"),
			"--tls-private-key-file=" + c.pki("scheduler-serving.key"),
		}, common...)},
		{"kube-proxy", []string{k("kube-proxy"), "--config=" + c.path("kube-proxy.yaml")}},
		{"registry", []string{c.RegistryBin, "-port", strconv.Itoa(c.RegistryPort)}},
	}
	// Each node's containerd and kubelet go after the control plane and before kube-proxy.
	var nodes []component
	for _, n := range c.nodes() {
		nodes = append(nodes,
			component{n.containerd(), []string{"containerd", "--config", n.dir(c, "containerd", "config.toml")}},
			component{n.kubelet(), []string{
				k("kubelet"), "--config=" + n.dir(c, "kubelet.yaml"), "--kubeconfig=" + c.kubeconfig(n.kubelet()),
				"--node-ip=" + n.ip, "--hostname-override=" + n.name, "--root-dir=" + n.dir(c, "kubelet"),
				"--cert-dir=" + n.dir(c, "kubelet", "pki"),
			}})
	}
	all := slices.Concat(comps[:4], nodes, comps[4:])
	if c.KubeRouterBin != "" {
		all = append(all, c.kubeRouterComponent())
	}
	return all
}

// start runs comp in its own session, detached from the caller (it outlives `cluster
// up`), with its output in its log file, and records its PID.
func (c *Cluster) start(comp component) error {
	log, err := os.OpenFile(c.logFile(comp.name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(comp.args[0], comp.args[1:]...) //nolint:gosec // the cluster's own programs
	cmd.Dir = c.Dir
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), markerEnv+"="+c.Dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", comp.name, err)
	}
	// Not waited for: PID 1 reaps it once down stops it.
	if err := writeFile(c.pidFile(comp.name), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		return err
	}
	return cmd.Process.Release()
}

// running returns the PID of comp when its PID file names a live process that is still
// comp's program (the PID was not reused by something else).
func (c *Cluster) running(comp component) (int, bool) {
	pid, ok, err := host.ReadPID(c.pidFile(comp.name))
	if err != nil || !ok || !host.Alive(pid) {
		return 0, false
	}
	// The same program by name: a copy of the tree (the dev loop's test, a fork's checkout)
	// builds its own tools, and still sees the cluster this state directory holds.
	fields := strings.Fields(host.Cmdline(pid))
	if len(fields) == 0 || filepath.Base(fields[0]) != filepath.Base(comp.args[0]) {
		return 0, false
	}
	return pid, true
}
