package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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
// would otherwise be ignored by the component, silently.
func TestConfigsDecodeStrictly(t *testing.T) {
	t.Parallel()
	c := &Cluster{Dir: t.TempDir(), RegistryPort: 5001}
	if err := c.writeConfigs(); err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(c.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var kubelet kubeletconfig.KubeletConfiguration
	if err := yaml.UnmarshalStrict(read("kubelet.yaml"), &kubelet); err != nil {
		t.Errorf("kubelet.yaml: %v", err)
	}
	if kubelet.CgroupRoot != cgroupRoot || kubelet.ImageGCHighThresholdPercent == nil || *kubelet.ImageGCHighThresholdPercent != 100 {
		t.Errorf("kubelet: cgroupRoot %q, image GC %v: want %q and GC off (100)", kubelet.CgroupRoot, kubelet.ImageGCHighThresholdPercent, cgroupRoot)
	}
	for _, p := range []string{kubelet.PodLogsDir, kubelet.VolumePluginDir, strings.TrimPrefix(kubelet.ContainerRuntimeEndpoint, "unix://")} {
		if !strings.HasPrefix(p, c.Dir+"/") {
			t.Errorf("kubelet path %q is outside the state directory", p)
		}
	}
	var proxy kubeproxyconfig.KubeProxyConfiguration
	if err := yaml.UnmarshalStrict(read("kube-proxy.yaml"), &proxy); err != nil {
		t.Errorf("kube-proxy.yaml: %v", err)
	}
	if proxy.IPTables.LocalhostNodePorts == nil || *proxy.IPTables.LocalhostNodePorts || proxy.Conntrack.MaxPerCore == nil || *proxy.Conntrack.MaxPerCore != 0 {
		t.Errorf("kube-proxy would change host settings: localhostNodePorts %v, conntrack maxPerCore %v", proxy.IPTables.LocalhostNodePorts, proxy.Conntrack.MaxPerCore)
	}
	var cni struct {
		Name    string `json:"name"`
		Plugins []struct {
			Type   string `json:"type"`
			Bridge string `json:"bridge"`
			IPMasq bool   `json:"ipMasq"`
			IPAM   struct {
				DataDir string `json:"dataDir"`
			} `json:"ipam"`
		} `json:"plugins"`
	}
	if err := json.Unmarshal(read("cni/net.d/10-getsmall.conflist"), &cni); err != nil {
		t.Fatalf("CNI configuration: %v", err)
	}
	if len(cni.Plugins) != 1 || cni.Plugins[0].Bridge != bridge || cni.Plugins[0].IPMasq || !strings.HasPrefix(cni.Plugins[0].IPAM.DataDir, c.Dir+"/") {
		t.Errorf("CNI configuration %+v: want the %s bridge, no masquerading, allocations in the state directory", cni, bridge)
	}
	hosts := string(read("containerd/certs.d/127.0.0.1:5001/hosts.toml"))
	if !strings.Contains(hosts, `server = "http://127.0.0.1:5001"`) {
		t.Errorf("registry hosts.toml does not point at the local registry:\n%s", hosts)
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
