package manifest

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/getsmall/getsmall/server"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// MetricsPortName is the name of the container port the metrics listener (METRICS_ADDR)
// is declared as: what a PodMonitor's podMetricsEndpoints and the NetworkPolicy name.
const MetricsPortName = "metrics"

// The pod annotations a Prometheus's kubernetes_sd_configs (role: pod) relabelling reads
// to find the pods, in the convention of Prometheus's own example configuration.
const (
	AnnotationScrape = "prometheus.io/scrape"
	AnnotationPort   = "prometheus.io/port"
	AnnotationPath   = "prometheus.io/path"
)

// checkMetrics checks that the pods serve metrics where their annotations and named port
// say: METRICS_ADDR set, on a port of its own (never the service's), declared as the
// container port named MetricsPortName, and annotated with its number and the server's
// path.
func checkMetrics(s *Set, c *corev1.Container, cfg server.Config) error {
	if cfg.MetricsAddr == "" {
		return errors.New("METRICS_ADDR unset: the pods serve no metrics for a scraper to find")
	}
	port, err := addrPort(cfg.MetricsAddr)
	if err != nil {
		return err
	}
	var errs []error
	if service, err := addrPort(cfg.Addr); err == nil && service == port {
		errs = append(errs, fmt.Errorf("METRICS_ADDR %s is the service's own port: the metrics need a listener of their own", cfg.MetricsAddr))
	}
	if p := containerPort(c, MetricsPortName); p == nil {
		errs = append(errs, fmt.Errorf("container %s: no port named %q for the metrics", c.Name, MetricsPortName))
	} else if int(p.ContainerPort) != port {
		errs = append(errs, fmt.Errorf("container port %q is %d, the metrics listen on %s", MetricsPortName, p.ContainerPort, cfg.MetricsAddr))
	}
	want := map[string]string{AnnotationScrape: "true", AnnotationPort: strconv.Itoa(port), AnnotationPath: server.MetricsPath}
	got := s.Deployment.Spec.Template.Annotations
	for _, k := range []string{AnnotationScrape, AnnotationPort, AnnotationPath} {
		if got[k] != want[k] {
			errs = append(errs, fmt.Errorf("pod annotation %s is %q, want %q: a Prometheus finds the metrics by it", k, got[k], want[k]))
		}
	}
	return errors.Join(errs...)
}

// addrPort is the port number of a host:port listen address.
func addrPort(addr string) (int, error) {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, fmt.Errorf("address %q: %w", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return 0, fmt.Errorf("address %q: %w", addr, err)
	}
	return n, nil
}

// containerPort returns c's port called name, or nil.
func containerPort(c *corev1.Container, name string) *corev1.ContainerPort {
	for i := range c.Ports {
		if c.Ports[i].Name == name {
			return &c.Ports[i]
		}
	}
	return nil
}

// checkPolicy checks the NetworkPolicy's ingress: the HTTP port open (to anyone, or to
// whom a user narrows it), the metrics port open to some scrapers but never to everyone
// (the listener serves a few scrapers at once, and says which build runs), nothing else.
func checkPolicy(s *Set) error {
	var errs []error
	httpPort, metricsPort := intstr.FromString(PortName), intstr.FromString(MetricsPortName)
	scraped := false
	for i, rule := range s.NetworkPolicy.Spec.Ingress {
		if len(rule.Ports) == 0 {
			errs = append(errs, fmt.Errorf("network policy ingress rule %d names no port: it opens every port, the metrics' too", i))
		}
		for _, np := range rule.Ports {
			switch {
			case np.Port != nil && *np.Port == httpPort:
			case np.Port != nil && *np.Port == metricsPort:
				if err := narrow(rule.From); err != nil {
					errs = append(errs, fmt.Errorf("network policy opens the metrics port %w", err))
				}
				scraped = true
			default:
				errs = append(errs, fmt.Errorf("network policy opens %v, want only the named ports %q and %q", np.Port, PortName, MetricsPortName))
			}
		}
	}
	if !scraped {
		errs = append(errs, fmt.Errorf("network policy opens no rule to the port %q: no scraper can reach the metrics", MetricsPortName))
	}
	return errors.Join(errs...)
}

// narrow refuses peers that let everyone in: none at all, an address block, or a
// namespace selector that selects every namespace.
func narrow(from []networkingv1.NetworkPolicyPeer) error {
	if len(from) == 0 {
		return errors.New("to everyone: name the scrapers' namespace in from")
	}
	for _, p := range from {
		switch {
		case p.IPBlock != nil:
			return fmt.Errorf("to the addresses %s: name the scrapers' namespace instead (pod addresses change)", p.IPBlock.CIDR)
		case p.NamespaceSelector != nil && empty(p.NamespaceSelector):
			return errors.New("to every namespace (an empty namespaceSelector): name the scrapers' namespace")
		}
	}
	return nil
}

func empty(sel *metav1.LabelSelector) bool {
	return len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0
}
