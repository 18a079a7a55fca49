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
	loopback, node := net.ParseIP("127.0.0.1"), net.ParseIP(nodeIP)
	certs := map[string]pki.Subject{
		"apiserver": {CommonName: "kube-apiserver", Server: true,
			IPs:      []net.IP{loopback, node, net.ParseIP(firstService)},
			DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}},
		"apiserver-kubelet-client":   {CommonName: "kube-apiserver-kubelet-client", Organizations: []string{"system:masters"}, Client: true},
		"kubelet":                    {CommonName: nodeName, Server: true, IPs: []net.IP{node}, DNSNames: []string{nodeName}},
		"controller-manager-serving": {CommonName: "kube-controller-manager", Server: true, IPs: []net.IP{loopback}, DNSNames: []string{"localhost"}},
		"scheduler-serving":          {CommonName: "kube-scheduler", Server: true, IPs: []net.IP{loopback}, DNSNames: []string{"localhost"}},
		// Client identities, one per kubeconfig; Kubernetes reads O as groups.
		"admin":              {CommonName: "getsmall-admin", Organizations: []string{"system:masters"}, Client: true},
		"controller-manager": {CommonName: "system:kube-controller-manager", Client: true},
		"scheduler":          {CommonName: "system:kube-scheduler", Client: true},
		"kubelet-client":     {CommonName: "system:node:" + nodeName, Organizations: []string{"system:nodes"}, Client: true},
		"kube-proxy":         {CommonName: "system:kube-proxy", Client: true},
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
	for user, cert := range map[string]string{
		"admin": "admin", "controller-manager": "controller-manager", "scheduler": "scheduler",
		"kubelet": "kubelet-client", "kube-proxy": "kube-proxy",
	} {
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
      server: https://127.0.0.1:{{.Port}}
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
	var data = map[string]any{"Port": apiPort, "User": user}
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
        "ranges": [[{"subnet": "{{.Subnet}}", "rangeStart": "10.244.0.10", "rangeEnd": "10.244.0.250", "gateway": "{{.NodeIP}}"}]],
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
healthzPort: 10248
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: {{.Dir}}/pki/ca.crt
authorization:
  mode: Webhook
tlsCertFile: {{.Dir}}/pki/kubelet.crt
tlsPrivateKeyFile: {{.Dir}}/pki/kubelet.key
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
resolvConf: /etc/resolv.conf
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
clusterCIDR: {{.Subnet}}
nodePortAddresses: ["{{.NodeIP}}/32"]
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

// writeConfigs writes every component's configuration file.
func (c *Cluster) writeConfigs() error {
	data := map[string]any{
		"Dir": c.Dir, "Pause": pauseImage, "Bridge": bridge, "Subnet": podSubnet, "NodeIP": nodeIP,
		"CgroupRoot": cgroupRoot, "Node": nodeName, "Port": c.RegistryPort,
	}
	hosts := c.path("containerd", "certs.d", fmt.Sprintf("127.0.0.1:%d", c.RegistryPort), "hosts.toml")
	for path, t := range map[string]*template.Template{
		c.path("containerd", "config.toml"): containerdTemplate,
		hosts:                               registryHostsTemplate,
		c.path("cni", "net.d", "10-getsmall.conflist"): cniTemplate,
		c.path("kubelet.yaml"):                         kubeletTemplate,
		c.path("kube-proxy.yaml"):                      kubeProxyTemplate,
	} {
		if err := c.render(t, data, path, 0o644); err != nil {
			return err
		}
	}
	return nil
}
