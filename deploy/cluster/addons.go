package main

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"text/template"
	"time"
)

// The images every node gets at start, each one static binary (the public ones are out of
// reach here). The add-ons' are imported only when up was given their binaries.
const (
	probeImage           = "localhost/getsmall-probe:1"
	metricsServerImage   = "localhost/getsmall-metrics-server:1"
	coreDNSImage         = "localhost/getsmall-coredns:1"
	victoriaMetricsImage = "localhost/getsmall-victoria-metrics:1"
	// dnsIP is the cluster DNS Service's address, which every kubelet gives its pods.
	dnsIP = "10.96.0.10"
	// kubeRouterUser is the name kube-router's client certificate gives it, which its
	// ClusterRole is bound to.
	kubeRouterUser = "getsmall:kube-router"
)

//go:embed manifests/*.yaml
var manifests embed.FS

// image is one single-file image: its name, the file's path in it, the binary on the host.
type image struct{ ref, file, bin string }

// images lists what up imports into every node's containerd.
func (c *Cluster) images() []image {
	imgs := []image{{pauseImage, "/pause", c.PauseBin}, {probeImage, "/probe", c.ProbeBin}}
	if c.MetricsServerBin != "" {
		imgs = append(imgs, image{metricsServerImage, "/metrics-server", c.MetricsServerBin})
	}
	if c.CoreDNSBin != "" {
		imgs = append(imgs, image{coreDNSImage, "/coredns", c.CoreDNSBin})
	}
	if c.VictoriaMetricsBin != "" {
		imgs = append(imgs, image{victoriaMetricsImage, "/victoria-metrics", c.VictoriaMetricsBin})
	}
	return imgs
}

// importImages builds each image as a docker-archive with one layer holding its binary
// and imports it into the node's containerd, where the CRI plugin finds it by name (the
// pods ask for it with imagePullPolicy: Never). No image builder is needed.
func (c *Cluster) importImages(n node) error {
	for _, img := range c.images() {
		bin, err := os.ReadFile(img.bin)
		if err != nil {
			return err
		}
		archive, err := dockerArchive(img.ref, img.file, bin)
		if err != nil {
			return err
		}
		path := n.dir(c, "images", strings.TrimPrefix(img.file, "/")+".tar")
		if err := writeFile(path, archive, 0o644); err != nil {
			return err
		}
		out, err := exec.Command("ctr", "--address", n.socket(c), "--namespace", "k8s.io", "images", "import", path).CombinedOutput() //nolint:gosec // the state directory's image
		if err != nil {
			return fmt.Errorf("ctr images import %s: %w: %s", img.ref, err, out)
		}
	}
	return nil
}

// addons lists the add-on manifests up applies, in order.
func (c *Cluster) addons() []string {
	var names []string
	if c.KubeRouterBin != "" {
		names = append(names, "kube-router")
	}
	if c.CoreDNSBin != "" {
		names = append(names, "coredns")
	}
	if c.MetricsServerBin != "" {
		names = append(names, "metrics-server")
	}
	if c.VictoriaMetricsBin != "" {
		names = append(names, "victoria-metrics")
	}
	return names
}

// addonNamespace is where an add-on's Deployment runs: the scraper in monitoring, the
// namespace getsmall's NetworkPolicy lets scrape its pods; the others in kube-system.
func addonNamespace(name string) string {
	if name == "victoria-metrics" {
		return "monitoring"
	}
	return "kube-system"
}

// applyAddons applies the add-ons' manifests and waits until each serves: CoreDNS and
// VictoriaMetrics ready, metrics-server ready and its API available through the
// aggregation layer.
func (c *Cluster) applyAddons() error {
	for _, name := range c.addons() {
		raw, err := manifests.ReadFile("manifests/" + name + ".yaml")
		if err != nil {
			return err
		}
		t, err := template.New(name).Option("missingkey=error").Parse(string(raw))
		if err != nil {
			return err
		}
		var doc bytes.Buffer
		if err := t.Execute(&doc, map[string]string{
			"MetricsServerImage": metricsServerImage, "CoreDNSImage": coreDNSImage, "DNSIP": dnsIP, "KubeRouterUser": kubeRouterUser,
			"VictoriaMetricsImage": victoriaMetricsImage,
		}); err != nil {
			return err
		}
		cmd := exec.Command(c.kubectl(), "--kubeconfig", c.kubeconfig("admin"), "apply", "--server-side", "-f", "-") //nolint:gosec // the cluster's kubectl
		cmd.Stdin = &doc
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("apply %s: %w: %s", name, err, out)
		}
		if name == "kube-router" {
			// A process on the host, not a pod: it programs the host's netfilter, as
			// kube-proxy does. It starts once its ClusterRole lets it read the policies.
			if err := c.startKubeRouter(); err != nil {
				return err
			}
			continue
		}
		if err := c.kubectlRun("rollout", "status", "deployment/"+name, "--namespace", addonNamespace(name), "--timeout=120s"); err != nil {
			return err
		}
	}
	if c.MetricsServerBin != "" {
		// The first scrape takes a resolution period: nodes have metrics after it.
		return c.waitFor("metrics API", 90*time.Second, func() error {
			return c.kubectlRun("get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes")
		})
	}
	return nil
}

// kubeRouterComponent is kube-router's network-policy controller alone (no routing, no
// service proxy: kube-proxy is the proxy, and the host routes between the node bridges).
// One runs per host: it guards the pods of the node whose name it is given, the first
// (two would delete each other's chains and sets).
func (c *Cluster) kubeRouterComponent() component {
	return component{"kube-router", []string{
		c.KubeRouterBin, "--run-firewall=true", "--run-router=false", "--run-service-proxy=false",
		"--kubeconfig=" + c.kubeconfig("kube-router"), "--hostname-override=" + nodeName,
		"--service-cluster-ip-range=" + serviceCIDR, "--enable-ipv4=true", "--enable-ipv6=false",
		"--health-port=0", "--metrics-port=0",
	}}
}

// startKubeRouter starts the policy controller and waits until it has programmed its
// chain in the host's filter table.
func (c *Cluster) startKubeRouter() error {
	comp := c.kubeRouterComponent()
	if err := c.start(comp); err != nil {
		return err
	}
	return c.waitFor("kube-router", 60*time.Second, func() error {
		if _, ok := c.running(comp); !ok {
			return fmt.Errorf("exited (log: %s)", c.logFile(comp.name))
		}
		return exec.Command("iptables", "-w", "-S", "KUBE-ROUTER-FORWARD").Run()
	})
}

// kubeRouterChain tells kube-router's filter chains: its hooks, its policies, its pods'.
var kubeRouterChain = regexp.MustCompile(`\bKUBE-(ROUTER-(INPUT|FORWARD|OUTPUT)|NWPLCY-[A-Z0-9]+|POD-FW-[A-Z0-9]+)\b`)

// cleanupKubeRouter removes what kube-router's firewall made: its chains and the rules that
// jump to them (filter table), then its ipsets. Its own --cleanup-config cannot: in v2.1.0
// it removes nothing of the firewall's and then crashes in the service proxy's part
// (kube-router issue 1649, fixed after the one release the module proxy serves).
func (c *Cluster) cleanupKubeRouter() error {
	saved, err := exec.Command("iptables-save", "-t", "filter").Output()
	if err != nil {
		return fmt.Errorf("iptables-save: %w", err)
	}
	var kept []string
	removed := 0
	for _, line := range strings.Split(string(saved), "\n") {
		if kubeRouterChain.MatchString(line) {
			removed++
			continue
		}
		kept = append(kept, line)
	}
	if removed > 0 {
		restore := exec.Command("iptables-restore", "-w", "-T", "filter")
		restore.Stdin = strings.NewReader(strings.Join(kept, "\n"))
		if out, err := restore.CombinedOutput(); err != nil {
			return fmt.Errorf("iptables-restore: %w: %s", err, out)
		}
	}
	sets, err := exec.Command("ipset", "list", "-n").Output()
	if err != nil {
		return fmt.Errorf("ipset list: %w", err)
	}
	var errs []error
	for _, name := range strings.Fields(string(sets)) {
		bare := strings.TrimPrefix(name, "inet6:")
		if !strings.HasPrefix(bare, "KUBE-SRC-") && !strings.HasPrefix(bare, "KUBE-DST-") {
			continue
		}
		if out, err := exec.Command("ipset", "destroy", name).CombinedOutput(); err != nil { //nolint:gosec // a set ipset listed
			errs = append(errs, fmt.Errorf("ipset destroy %s: %w: %s", name, err, out))
		}
	}
	return errors.Join(errs...)
}
