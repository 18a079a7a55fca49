package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"text/template"

	"github.com/getsmall/getsmall/deploy/internal/pki"
)

// writePKI makes the CA, the service-account key and every certificate the components use.
func (c *Cluster) writePKI() error {
	ca, caPair, err := pki.NewCA("getsmall-k8s-ca")
	if err != nil {
		return err
	}
	if err := c.writePair("ca", caPair); err != nil {
		return err
	}
	priv, pub, err := pki.KeyPair()
	if err != nil {
		return err
	}
	if err := writeFile(c.pki("sa.key"), priv, 0o600); err != nil {
		return err
	}
	if err := writeFile(c.pki("sa.pub"), pub, 0o644); err != nil {
		return err
	}
	loopback := net.ParseIP("127.0.0.1")
	certs := map[string]pki.Subject{
		"apiserver": {CommonName: "kube-apiserver", Server: true,
			IPs:      []net.IP{loopback, net.ParseIP(nodeIP), net.ParseIP(firstService)},
			DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}},
		"apiserver-kubelet-client":   {CommonName: "kube-apiserver-kubelet-client", Organizations: []string{"system:masters"}, Client: true},
		"controller-manager-serving": {CommonName: "kube-controller-manager", Server: true, IPs: []net.IP{loopback}, DNSNames: []string{"localhost"}},
		"scheduler-serving":          {CommonName: "kube-scheduler", Server: true, IPs: []net.IP{loopback}, DNSNames: []string{"localhost"}},
		// Client identities, one per kubeconfig; Kubernetes reads O as groups.
		"admin":              {CommonName: "getsmall-admin", Organizations: []string{"system:masters"}, Client: true},
		"controller-manager": {CommonName: "system:kube-controller-manager", Client: true},
		"scheduler":          {CommonName: "system:kube-scheduler", Client: true},
		"kube-proxy":         {CommonName: "system:kube-proxy", Client: true},
		"kube-router":        {CommonName: kubeRouterUser, Client: true},
	}
	users := map[string]string{
		"admin": "admin", "controller-manager": "controller-manager", "scheduler": "scheduler", "kube-proxy": "kube-proxy",
		"kube-router": "kube-router",
	}
	// Each kubelet serves on its node's address and is a node to the API server (the Node
	// authorizer and NodeRestriction let it touch its own Node and pods only).
	for _, n := range c.nodes() {
		certs[n.kubelet()] = pki.Subject{CommonName: n.name, Server: true, IPs: []net.IP{net.ParseIP(n.ip)}, DNSNames: []string{n.name}}
		certs[n.kubelet()+"-client"] = pki.Subject{CommonName: "system:node:" + n.name, Organizations: []string{"system:nodes"}, Client: true}
		users[n.kubelet()] = n.kubelet() + "-client"
	}
	for name, subject := range certs {
		pair, err := ca.Issue(subject)
		if err != nil {
			return err
		}
		if err := c.writePair(name, pair); err != nil {
			return err
		}
	}
	// The aggregation layer (metrics-server's API served through the API server): a CA of its
	// own signs the proxy's client certificate, and extension servers trust only that CA's
	// requests to carry a user in their headers.
	frontCA, frontPair, err := pki.NewCA("getsmall-k8s-front-proxy-ca")
	if err != nil {
		return err
	}
	if err := c.writePair("front-proxy-ca", frontPair); err != nil {
		return err
	}
	frontClient, err := frontCA.Issue(pki.Subject{CommonName: frontProxyClient, Client: true})
	if err != nil {
		return err
	}
	if err := c.writePair("front-proxy-client", frontClient); err != nil {
		return err
	}
	for user, cert := range users {
		if err := c.writeKubeconfig(user, cert); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) writePair(name string, p pki.Pair) error {
	if err := writeFile(c.pki(name+".crt"), p.CertPEM, 0o644); err != nil {
		return err
	}
	return writeFile(c.pki(name+".key"), p.KeyPEM, 0o600)
}

var kubeconfigTemplate = template.Must(template.New("kubeconfig").Parse(`apiVersion: v1
kind: Config
clusters:
  - name: getsmall
    cluster:
      server: https://{{.Host}}:{{.Port}}
      certificate-authority-data: {{.CA}}
users:
  - name: {{.User}}
    user:
      client-certificate-data: {{.Cert}}
      client-key-data: {{.Key}}
contexts:
  - name: getsmall
    context:
      cluster: getsmall
      user: {{.User}}
current-context: getsmall
`))

func (c *Cluster) writeKubeconfig(user, cert string) error {
	var data = map[string]any{"Host": nodeIP, "Port": apiPort, "User": user}
	for field, file := range map[string]string{"CA": c.pki("ca.crt"), "Cert": c.pki(cert + ".crt"), "Key": c.pki(cert + ".key")} {
		b, err := os.ReadFile(file) //nolint:gosec // the certificates writePKI just wrote
		if err != nil {
			return err
		}
		data[field] = base64.StdEncoding.EncodeToString(b)
	}
	return c.render(kubeconfigTemplate, data, c.kubeconfig(user), 0o600)
}

// render executes t with data into path.
func (c *Cluster) render(t *template.Template, data any, path string, mode os.FileMode) error {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return writeFile(path, b.Bytes(), mode)
}

// The private containerd: its own root, state, sockets and runc root, so that it shares
// nothing with any other containerd on the machine (dockerd's included).
// restrict_oom_score_adj: root here lacks CAP_SYS_RESOURCE, and runc fails to start any
// container that asks for a lower OOM score than its own.
var containerdTemplate = template.Must(template.New("containerd").Parse(`version = 2
root = "{{.Dir}}/containerd/root"
state = "{{.Dir}}/containerd/state"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "{{.Dir}}/containerd/containerd.sock"

[ttrpc]
  address = "{{.Dir}}/containerd/containerd.sock.ttrpc"

[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{{.Pause}}"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "{{.Dir}}/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{{.Dir}}/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "{{.Dir}}/containerd/certs.d"
`))

// The local registry speaks plain HTTP on loopback.
var registryHostsTemplate = template.Must(template.New("hosts").Parse(`server = "http://127.0.0.1:{{.Port}}"

[host."http://127.0.0.1:{{.Port}}"]
  capabilities = ["pull", "resolve"]
`))

// CNI: pods on the cluster's own bridge, addresses from its /24, no masquerading (so no
// netfilter rules from the plugin), and the allocation records in the state directory.
var cniTemplate = template.Must(template.New("cni").Parse(`{
  "cniVersion": "1.0.0",
  "name": "getsmall",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "{{.Bridge}}",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "{{.Dir}}/cni/ipam",
        "ranges": [[{"subnet": "{{.Subnet}}", "rangeStart": "{{.RangeStart}}", "rangeEnd": "{{.RangeEnd}}", "gateway": "{{.NodeIP}}"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
`))

// The kubelet: cgroupfs driver under its own cgroup root (PID 1 is not systemd here, and
// the host is on cgroup v1), pod logs and volume plugins in the state directory, no image
// garbage collection (containerd 1.6 cannot pin the imported pause image, and a full disk
// on a shared machine would remove it) and evictions only when the disk is all but full.
var kubeletTemplate = template.Must(template.New("kubelet").Parse(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: {{.NodeIP}}
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: {{.HealthzPort}}
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: {{.PKI}}/ca.crt
authorization:
  mode: Webhook
tlsCertFile: {{.PKI}}/{{.Kubelet}}.crt
tlsPrivateKeyFile: {{.PKI}}/{{.Kubelet}}.key
containerRuntimeEndpoint: unix://{{.Dir}}/containerd/containerd.sock
cgroupDriver: cgroupfs
cgroupRoot: {{.CgroupRoot}}
failSwapOn: false
failCgroupV1: false
podLogsDir: {{.Dir}}/pod-logs
volumePluginDir: {{.Dir}}/kubelet-plugins
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 100Mi
  imagefs.available: 100Mi
clusterDomain: cluster.local
{{- if .DNS}}
clusterDNS: ["{{.DNS}}"]
{{- end}}
resolvConf: /etc/resolv.conf
# How often the kubelet reports its node (the default): the controller manager's grace
# period, four of these, decides how soon a lost node's pods leave the Services.
nodeStatusUpdateFrequency: 10s
serializeImagePulls: false
`))

// kube-proxy in iptables mode, touching no host setting it need not: no localhost
// NodePorts (they need route_localnet), NodePorts on the bridge address only, and the
// conntrack limits and timeouts left as the host has them.
var kubeProxyTemplate = template.Must(template.New("kube-proxy").Parse(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: {{.Dir}}/kubeconfig/kube-proxy.kubeconfig
hostnameOverride: {{.Node}}
mode: iptables
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
clusterCIDR: {{.ClusterCIDR}}
nodePortAddresses: [{{range $i, $ip := .NodeIPs}}{{if $i}}, {{end}}"{{$ip}}/32"{{end}}]
iptables:
  localhostNodePorts: false
  masqueradeAll: false
  minSyncPeriod: 1s
  syncPeriod: 30s
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`))

// writeConfigs writes every component's configuration file: kube-proxy's once, and for
// each node its containerd's, its registry mirror, its CNI network and its kubelet's.
func (c *Cluster) writeConfigs() error {
	var ips []string
	for _, n := range c.nodes() {
		ips = append(ips, n.ip)
	}
	proxy := map[string]any{"Dir": c.Dir, "Node": nodeName, "ClusterCIDR": clusterCIDR, "NodeIPs": ips}
	if err := c.render(kubeProxyTemplate, proxy, c.path("kube-proxy.yaml"), 0o644); err != nil {
		return err
	}
	for _, n := range c.nodes() {
		data := map[string]any{
			"Dir": n.dir(c), "PKI": c.path("pki"), "Pause": pauseImage, "Port": c.RegistryPort,
			"Bridge": n.bridge, "Subnet": n.subnet, "RangeStart": n.rangeStart(), "RangeEnd": n.rangeEnd(), "NodeIP": n.ip,
			"CgroupRoot": n.cgroupRoot(), "Kubelet": n.kubelet(), "HealthzPort": n.healthzPort, "DNS": "",
		}
		if c.CoreDNSBin != "" {
			data["DNS"] = dnsIP
		}
		hosts := n.dir(c, "containerd", "certs.d", fmt.Sprintf("127.0.0.1:%d", c.RegistryPort), "hosts.toml")
		for path, t := range map[string]*template.Template{
			n.dir(c, "containerd", "config.toml"): containerdTemplate,
			hosts:                                 registryHostsTemplate,
			n.dir(c, "cni", "net.d", "10-getsmall.conflist"): cniTemplate,
			n.dir(c, "kubelet.yaml"):                         kubeletTemplate,
		} {
			if err := c.render(t, data, path, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
