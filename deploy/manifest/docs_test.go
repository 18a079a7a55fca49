package manifest

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/getsmall/getsmall/server"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// yamlBlocks returns the yaml code blocks of docs/kubernetes.md.
func yamlBlocks(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "kubernetes.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?ms)^```yaml\n(.*?)^```$").FindAllStringSubmatch(string(b), -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// docBlock returns the one yaml block of docs/kubernetes.md that contains marker.
func docBlock(t *testing.T, marker string) string {
	t.Helper()
	var found []string
	for _, b := range yamlBlocks(t) {
		if strings.Contains(b, marker) {
			found = append(found, b)
		}
	}
	if len(found) != 1 {
		t.Fatalf("docs/kubernetes.md: %d yaml blocks with %q, want one", len(found), marker)
	}
	return found[0]
}

// TestDocumentedPodMonitor: the PodMonitor docs/kubernetes.md gives a prometheus-operator
// user (the test cluster has no operator to apply it to) selects the overlays' pods and
// scrapes their metrics port and path, from the namespace the NetworkPolicy opens it to.
func TestDocumentedPodMonitor(t *testing.T) {
	t.Parallel()
	var pm struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Namespace string `json:"namespace"`
		} `json:"metadata"`
		Spec struct {
			Selector  metav1.LabelSelector `json:"selector"`
			Endpoints []struct {
				Port string `json:"port"`
				Path string `json:"path"`
			} `json:"podMetricsEndpoints"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal([]byte(docBlock(t, "kind: PodMonitor")), &pm); err != nil {
		t.Fatal(err)
	}
	for _, overlay := range []string{"dev", "prod", "edge"} {
		s := render(t, overlay)
		sel, err := metav1.LabelSelectorAsSelector(&pm.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(s.Deployment.Spec.Template.Labels)) {
			t.Errorf("%s: the PodMonitor's selector %v (%v) does not select the pods %v", overlay, pm.Spec.Selector, err, s.Deployment.Spec.Template.Labels)
		}
		allowed := ""
		for _, rule := range s.NetworkPolicy.Spec.Ingress {
			for _, peer := range rule.From {
				if peer.NamespaceSelector != nil {
					allowed = peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]
				}
			}
		}
		if pm.Metadata.Namespace != allowed {
			t.Errorf("%s: the PodMonitor is in namespace %q, the NetworkPolicy lets %q scrape", overlay, pm.Metadata.Namespace, allowed)
		}
	}
	if len(pm.Spec.Endpoints) != 1 || pm.Spec.Endpoints[0].Port != MetricsPortName || pm.Spec.Endpoints[0].Path != server.MetricsPath {
		t.Errorf("the PodMonitor scrapes %+v, want port %q, path %s", pm.Spec.Endpoints, MetricsPortName, server.MetricsPath)
	}
}

// TestDocumentedScrapeConfig: the scrape_configs docs/kubernetes.md gives a plain
// Prometheus are those the test cluster's VictoriaMetrics runs, which make test-k8s proves
// find and scrape the pods.
func TestDocumentedScrapeConfig(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "cluster", "manifests", "victoria-metrics.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cluster string
	for _, doc := range strings.Split(string(b), "\n---\n") {
		var cm struct {
			Kind string            `json:"kind"`
			Data map[string]string `json:"data"`
		}
		if strings.Contains(doc, "kind: ConfigMap") {
			if err := yaml.Unmarshal([]byte(doc), &cm); err != nil {
				t.Fatal(err)
			}
			cluster = cm.Data["scrape.yaml"]
		}
	}
	var documented, running struct {
		ScrapeConfigs []any `json:"scrape_configs"`
	}
	if err := yaml.Unmarshal([]byte(docBlock(t, "scrape_configs:")), &documented); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(cluster), &running); err != nil {
		t.Fatalf("the cluster's scrape.yaml: %v", err)
	}
	if len(running.ScrapeConfigs) == 0 || !reflect.DeepEqual(documented, running) {
		t.Errorf("docs/kubernetes.md's scrape_configs differ from deploy/cluster/manifests/victoria-metrics.yaml's:\n%v\n%v", documented, running)
	}
}
