package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	kubeproxyconfig "k8s.io/kube-proxy/config/v1alpha1"
	kubeletconfig "k8s.io/kubelet/config/v1beta1"
	"sigs.k8s.io/yaml"
)

// TestConfigsDecodeStrictly decodes the generated kubelet and kube-proxy configurations
// into the components' own types with unknown fields refused: a misspelt or removed field
// would otherwise be ignored by the component, silently. Every node's files must be its
// own: paths, bridge, subnet, cgroup root, health port.
func TestConfigsDecodeStrictly(t *testing.T) {
	t.Parallel()
	c := &Cluster{Dir: t.TempDir(), RegistryPort: 5001, Nodes: maxNodes}
	if err := c.writeConfigs(); err != nil {
		t.Fatal(err)
	}
	read := func(path string) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	seen := map[string]string{} // a value every node must have to itself -> the node
	unique := func(n node, what, v string) {
		if other, ok := seen[what+" "+v]; ok {
			t.Errorf("%s and %s share the %s %q", other, n.name, what, v)
		}
		seen[what+" "+v] = n.name
	}
	for _, n := range c.nodes() {
		var kubelet kubeletconfig.KubeletConfiguration
		if err := yaml.UnmarshalStrict(read(n.dir(c, "kubelet.yaml")), &kubelet); err != nil {
			t.Errorf("%s kubelet.yaml: %v", n.name, err)
		}
		if !strings.HasPrefix(kubelet.CgroupRoot, cgroupRoot+"/") || kubelet.ImageGCHighThresholdPercent == nil || *kubelet.ImageGCHighThresholdPercent != 100 {
			t.Errorf("%s kubelet: cgroupRoot %q, image GC %v: want below %q and GC off (100)", n.name, kubelet.CgroupRoot, kubelet.ImageGCHighThresholdPercent, cgroupRoot)
		}
		if kubelet.Address != n.ip || !strings.HasSuffix(kubelet.TLSCertFile, "/"+n.kubelet()+".crt") {
			t.Errorf("%s kubelet: address %q, certificate %q: want %s and its own", n.name, kubelet.Address, kubelet.TLSCertFile, n.ip)
		}
		unique(n, "cgroup root", kubelet.CgroupRoot)
		unique(n, "health port", fmt.Sprint(kubelet.HealthzPort))
		for _, p := range []string{kubelet.PodLogsDir, kubelet.VolumePluginDir, strings.TrimPrefix(kubelet.ContainerRuntimeEndpoint, "unix://")} {
			if !strings.HasPrefix(p, c.Dir+"/") {
				t.Errorf("%s kubelet path %q is outside the state directory", n.name, p)
			}
			unique(n, "path", p)
		}
		var cni struct {
			Plugins []struct {
				Bridge string `json:"bridge"`
				IPMasq bool   `json:"ipMasq"`
				IPAM   struct {
					DataDir string                               `json:"dataDir"`
					Ranges  [][]struct{ Subnet, Gateway string } `json:"ranges"`
				} `json:"ipam"`
			} `json:"plugins"`
		}
		if err := json.Unmarshal(read(n.dir(c, "cni/net.d/10-getsmall.conflist")), &cni); err != nil {
			t.Fatalf("%s CNI configuration: %v", n.name, err)
		}
		if len(cni.Plugins) != 1 || cni.Plugins[0].Bridge != n.bridge || cni.Plugins[0].IPMasq || !strings.HasPrefix(cni.Plugins[0].IPAM.DataDir, c.Dir+"/") ||
			len(cni.Plugins[0].IPAM.Ranges) != 1 || cni.Plugins[0].IPAM.Ranges[0][0].Subnet != n.subnet || cni.Plugins[0].IPAM.Ranges[0][0].Gateway != n.ip {
			t.Errorf("%s CNI configuration %+v: want the %s bridge, %s via %s, no masquerading, allocations in the state directory", n.name, cni, n.bridge, n.subnet, n.ip)
		}
		unique(n, "bridge", cni.Plugins[0].Bridge)
		unique(n, "IPAM directory", cni.Plugins[0].IPAM.DataDir)
		hosts := string(read(n.dir(c, "containerd/certs.d/127.0.0.1:5001/hosts.toml")))
		if !strings.Contains(hosts, `server = "http://127.0.0.1:5001"`) {
			t.Errorf("%s registry hosts.toml does not point at the local registry:\n%s", n.name, hosts)
		}
	}
	var proxy kubeproxyconfig.KubeProxyConfiguration
	if err := yaml.UnmarshalStrict(read(filepath.Join(c.Dir, "kube-proxy.yaml")), &proxy); err != nil {
		t.Errorf("kube-proxy.yaml: %v", err)
	}
	if proxy.IPTables.LocalhostNodePorts == nil || *proxy.IPTables.LocalhostNodePorts || proxy.Conntrack.MaxPerCore == nil || *proxy.Conntrack.MaxPerCore != 0 {
		t.Errorf("kube-proxy would change host settings: localhostNodePorts %v, conntrack maxPerCore %v", proxy.IPTables.LocalhostNodePorts, proxy.Conntrack.MaxPerCore)
	}
	if proxy.ClusterCIDR != clusterCIDR || len(proxy.NodePortAddresses) != maxNodes {
		t.Errorf("kube-proxy: clusterCIDR %q, NodePort addresses %q: want %s and every node's", proxy.ClusterCIDR, proxy.NodePortAddresses, clusterCIDR)
	}
}

// TestNodeCountComesFromTheState: status and down see the cluster up started, whatever
// -nodes says, and a damaged record is an error, not a guess.
func TestNodeCountComesFromTheState(t *testing.T) {
	t.Parallel()
	c := &Cluster{Dir: t.TempDir(), Nodes: 2}
	if err := c.loadNodes(); err != nil || c.Nodes != 2 {
		t.Fatalf("without a record: Nodes %d, %v; want the flag's 2", c.Nodes, err)
	}
	if err := os.WriteFile(c.nodesFile(), []byte("3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.loadNodes(); err != nil || c.Nodes != 3 || len(c.nodes()) != 3 {
		t.Fatalf("with 3 recorded: Nodes %d, %v", c.Nodes, err)
	}
	for _, bad := range []string{"0", "9", "two"} {
		if err := os.WriteFile(c.nodesFile(), []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := c.loadNodes(); err == nil {
			t.Errorf("record %q accepted", bad)
		}
	}
}

// TestDockerArchive reads the pause image archive back: the manifest names the config and
// the layer, the config's diff ID is the layer's digest, and the layer holds the program.
func TestDockerArchive(t *testing.T) {
	t.Parallel()
	program := []byte("\x7fELF pretend")
	archive, err := dockerArchive("localhost/test:1", "/pause", program)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = b
	}
	var manifest []struct {
		Config           string
		RepoTags, Layers []string
	}
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("manifest.json: %v %q", err, files["manifest.json"])
	}
	m := manifest[0]
	if len(m.RepoTags) != 1 || m.RepoTags[0] != "localhost/test:1" || len(m.Layers) != 1 {
		t.Fatalf("manifest %+v", m)
	}
	var config struct {
		Config struct {
			Entrypoint []string
			User       string
		} `json:"config"`
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(files[m.Config], &config); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(files[m.Layers[0]])
	if len(config.RootFS.DiffIDs) != 1 || config.RootFS.DiffIDs[0] != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Errorf("diff IDs %q do not match the layer's digest", config.RootFS.DiffIDs)
	}
	if len(config.Config.Entrypoint) != 1 || config.Config.Entrypoint[0] != "/pause" || config.Config.User != "65535:65535" {
		t.Errorf("config %+v", config.Config)
	}
	lr := tar.NewReader(bytes.NewReader(files[m.Layers[0]]))
	h, err := lr.Next()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(lr)
	if h.Name != "pause" || h.Mode != 0o755 || !bytes.Equal(got, program) {
		t.Errorf("layer holds %q mode %o (%d bytes), want pause 0755 with the program", h.Name, h.Mode, len(got))
	}
}

func TestRunRefusesBadUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		nil,
		{"start", "-bin", "/x"},
		{"up"}, // no -bin
		{"up", "-bin", "/x", "extra"},
		{"up", "-no-such-flag"},
		{"up", "-bin", "/x", "-nodes", "0"},
		{"up", "-bin", "/x", "-nodes", "4"},
	} {
		var out, errs bytes.Buffer
		if code := run(args, &out, &errs); code != 2 || errs.Len() == 0 {
			t.Errorf("run(%q) = %d with stderr %q, want 2 and a message", args, code, errs.String())
		}
	}
}

func TestStatusWithoutCluster(t *testing.T) {
	t.Parallel()
	c := &Cluster{Dir: filepath.Join(t.TempDir(), "none"), Bin: "/nonexistent", RegistryBin: "/nonexistent/registry"}
	if err := c.Status(io.Discard); !errors.Is(err, errNotUp) {
		t.Errorf("Status = %v, want errNotUp", err)
	}
	if err := os.Mkdir(c.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := c.Status(io.Discard); err == nil || errors.Is(err, errNotUp) || !strings.Contains(err.Error(), "k8s-down") {
		t.Errorf("Status with a stale state directory = %v, want advice to run k8s-down", err)
	}
}

// TestKubeRouterChains: the cleanup removes kube-router's chains and the jumps to them, and
// leaves kube-proxy's and everyone else's.
func TestKubeRouterChains(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]bool{
		":KUBE-ROUTER-FORWARD - [0:0]": true,
		"-A FORWARD -m comment --comment \"kube-router netpol - ABC\" -j KUBE-ROUTER-FORWARD": true,
		":KUBE-NWPLCY-DEFAULT - [0:0]":                                  true,
		"-A KUBE-POD-FW-4XWQ2ZKJ7 -j KUBE-NWPLCY-DEFAULT":               true,
		":KUBE-FORWARD - [0:0]":                                         false,
		"-A KUBE-SERVICES -d 10.96.0.1/32 -j KUBE-SVC-NPX46M4PTMTKRN6Y": false,
		":KUBE-FIREWALL - [0:0]":                                        false,
	} {
		if got := kubeRouterChain.MatchString(line); got != want {
			t.Errorf("%q: kube-router's = %v, want %v", line, got, want)
		}
	}
}
