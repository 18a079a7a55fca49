package manifest

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// TestChecksCatch breaks prod one way at a time and requires the checks to say so: a
// check that cannot fail proves nothing.
func TestChecksCatch(t *testing.T) {
	t.Parallel()
	uid, gid := imageUser(t)
	container := func(s *Set) *corev1.Container { return &s.Deployment.Spec.Template.Spec.Containers[0] }
	setEnv := func(s *Set, name, value string) {
		c := container(s)
		for i := range c.Env {
			if c.Env[i].Name == name {
				c.Env[i].Value = value
				return
			}
		}
		c.Env = append(c.Env, corev1.EnvVar{Name: name, Value: value})
	}
	unsetEnv := func(s *Set, name string) {
		c := container(s)
		c.Env = slices.DeleteFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name })
	}
	memory := func(s *Set, request, limit string) {
		r := &container(s).Resources
		if request != "" {
			r.Requests[corev1.ResourceMemory] = resource.MustParse(request)
		}
		if limit != "" {
			r.Limits[corev1.ResourceMemory] = resource.MustParse(limit)
		}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*Set)
		want   string
	}{
		{"writable root", func(s *Set) { container(s).SecurityContext.ReadOnlyRootFilesystem = ptr.To(false) }, "readOnlyRootFilesystem"},
		{"capability kept", func(s *Set) { container(s).SecurityContext.Capabilities.Drop = nil }, `pod security "restricted"`},
		{"privilege escalation", func(s *Set) { container(s).SecurityContext.AllowPrivilegeEscalation = nil }, "allowPrivilegeEscalation"},
		{"root user", func(s *Set) { s.Deployment.Spec.Template.Spec.SecurityContext.RunAsUser = ptr.To[int64](0) }, "runAsUser=0"},
		{"no seccomp", func(s *Set) { s.Deployment.Spec.Template.Spec.SecurityContext.SeccompProfile = nil }, "seccompProfile"},
		{"other user than the images", func(s *Set) { s.Deployment.Spec.Template.Spec.SecurityContext.RunAsUser = ptr.To[int64](1000) }, "the images' USER"},
		{"token mounted", func(s *Set) { s.Deployment.Spec.Template.Spec.AutomountServiceAccountToken = nil }, "automountServiceAccountToken"},
		{"service links", func(s *Set) { s.Deployment.Spec.Template.Spec.EnableServiceLinks = ptr.To(true) }, "enableServiceLinks"},
		{"probe path", func(s *Set) { container(s).ReadinessProbe.HTTPGet.Path = "/healthz" }, "readiness probe: want httpGet /health"},
		{"probe port by number", func(s *Set) { container(s).LivenessProbe.HTTPGet.Port = intstr.FromInt32(8080) }, "liveness probe: want httpGet"},
		{"no startup probe", func(s *Set) { container(s).StartupProbe = nil }, "startup probe: missing"},
		{"short startup allowance", func(s *Set) { container(s).StartupProbe.FailureThreshold = 3 }, "startup probe allows 3s"},
		{"slow readiness", func(s *Set) { container(s).ReadinessProbe.PeriodSeconds = 10 }, "readiness probe takes up to 10s"},
		{"liveness kills a draining pod", func(s *Set) { container(s).LivenessProbe.PeriodSeconds = 2 }, "a draining pod could be killed"},
		{"short grace period", func(s *Set) { s.Deployment.Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To[int64](13) }, "terminationGracePeriodSeconds must exceed"},
		{"short drain", func(s *Set) { setEnv(s, "SHUTDOWN_DELAY", "1500ms") }, "SHUTDOWN_DELAY 1.5s: want at least"},
		{"long shutdown timeout", func(s *Set) { setEnv(s, "SHUTDOWN_TIMEOUT", "30s") }, "terminationGracePeriodSeconds must exceed"},
		{"value the server refuses", func(s *Set) { setEnv(s, "SHUTDOWN_DELAY", "5") }, `invalid value "5" for environment variable SHUTDOWN_DELAY`},
		{"variable the server ignores", func(s *Set) { setEnv(s, "SHUTDWON_DELAY", "5s") }, "SHUTDWON_DELAY: the server does not read it"},
		{"port moved", func(s *Set) { setEnv(s, "ADDR", ":9090") }, "the server listens on :9090"},
		{"service by port number", func(s *Set) { s.Service.Spec.Ports[0].TargetPort = intstr.FromInt32(8080) }, `want the named port "http"`},
		{"memory limit too small", func(s *Set) { memory(s, "4Mi", "9Mi") }, "holds 56 connections (24 in a request at up to 80 KiB, the rest at 64 KiB between requests) in the plain image with GOMAXPROCS 2, want at least 64: 10Mi would hold them"},
		{"cap above what the limit holds", func(s *Set) { setEnv(s, "MAX_CONNS", "2000") }, "MAX_CONNS 2000: a memory limit of 16.0 MiB holds 156 connections"},
		{"cap too small to use", func(s *Set) { setEnv(s, "MAX_CONNS", "10") }, "MAX_CONNS 10: want at least 64"},
		{"request below a started server", func(s *Set) { memory(s, "1Mi", "") }, "below the 2.0 MiB a started server in the plain image uses"},
		{"request above the limit", func(s *Set) { memory(s, "32Mi", "") }, "exceeds the limit"},
		{"GOMEMLIMIT at the limit", func(s *Set) { setEnv(s, "GOMEMLIMIT", "16MiB") }, "GOMEMLIMIT 16MiB is above the 6.8 MiB"},
		{"GOMEMLIMIT unreadable", func(s *Set) { setEnv(s, "GOMEMLIMIT", "16M") }, `GOMEMLIMIT "16M"`},
		{"GOMAXPROCS unbounded", func(s *Set) { unsetEnv(s, "GOMAXPROCS") }, "neither GOMAXPROCS nor a CPU limit"},
		{"GOMAXPROCS unreadable", func(s *Set) { setEnv(s, "GOMAXPROCS", "two") }, `GOMAXPROCS "two"`},
		{"GOMAXPROCS of a big node", func(s *Set) { setEnv(s, "GOMAXPROCS", "128") }, "holds 43 connections"},
		{"no preStop sleep", func(s *Set) { container(s).Lifecycle = nil }, "no preStop sleep"},
		{"preStop exec", func(s *Set) {
			container(s).Lifecycle.PreStop = &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sleep", "5"}}}
		}, "preStop: want only sleep"},
		{"preStop sleep and exec", func(s *Set) {
			container(s).Lifecycle.PreStop.Exec = &corev1.ExecAction{Command: []string{"/getsmall", "healthcheck"}}
		}, "preStop: want only sleep"},
		{"postStart hook", func(s *Set) {
			container(s).Lifecycle.PostStart = &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 1}}
		}, "postStart hook"},
		{"short preStop sleep", func(s *Set) { container(s).Lifecycle.PreStop.Sleep.Seconds = 1 }, "preStop sleep 1s: want at least 2s"},
		{"preStop sleep past the grace period", func(s *Set) { container(s).Lifecycle.PreStop.Sleep.Seconds = 10 }, "terminationGracePeriodSeconds must exceed the preStop sleep"},
		{"no memory limit", func(s *Set) { delete(container(s).Resources.Limits, corev1.ResourceMemory) }, "memory limit"},
		{"selector grew", func(s *Set) { s.Service.Spec.Selector["tier"] = "web" }, "service selector"},
		{"label missing", func(s *Set) { delete(s.Service.Labels, "app.kubernetes.io/instance") }, "no label app.kubernetes.io/instance"},
		{"replicas beside the autoscaler", func(s *Set) { s.Deployment.Spec.Replicas = ptr.To[int32](3) }, "every apply would reset"},
		{"rollout may drop a pod", func(s *Set) {
			s.Deployment.Spec.Strategy.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromInt32(1))
		}, "maxUnavailable 0"},
		{"budget takes every pod", func(s *Set) { s.PDB.Spec.MaxUnavailable = ptr.To(intstr.FromInt32(3)) }, "disruption budget: want maxUnavailable between 1 and 2"},
		{"image without tag", func(s *Set) { container(s).Image = "registry.example.com/getsmall" }, "has no tag or digest"},
		{"metrics off", func(s *Set) { unsetEnv(s, "METRICS_ADDR") }, "METRICS_ADDR unset"},
		{"metrics moved", func(s *Set) { setEnv(s, "METRICS_ADDR", ":9100") }, `container port "metrics" is 9090, the metrics listen on :9100`},
		{"metrics on the service port", func(s *Set) { setEnv(s, "METRICS_ADDR", ":8080") }, "is the service's own port"},
		{"no metrics port", func(s *Set) { container(s).Ports = container(s).Ports[:1] }, `no port named "metrics"`},
		{"annotated port", func(s *Set) { s.Deployment.Spec.Template.Annotations[AnnotationPort] = "8080" }, `prometheus.io/port is "8080", want "9090"`},
		{"annotated path", func(s *Set) { s.Deployment.Spec.Template.Annotations[AnnotationPath] = "/metricz" }, `prometheus.io/path is "/metricz", want "/metrics"`},
		{"not annotated", func(s *Set) { delete(s.Deployment.Spec.Template.Annotations, AnnotationScrape) }, `prometheus.io/scrape is "", want "true"`},
		{"service sends clients to the metrics", func(s *Set) {
			s.Service.Spec.Ports = append(s.Service.Spec.Ports, corev1.ServicePort{Name: "metrics", Port: 9090, TargetPort: intstr.FromString("metrics")})
		}, `service port 9090 targets metrics`},
		{"metrics open to everyone", func(s *Set) { s.NetworkPolicy.Spec.Ingress[1].From = nil }, "metrics port to everyone"},
		{"metrics open to every namespace", func(s *Set) {
			s.NetworkPolicy.Spec.Ingress[1].From[0].NamespaceSelector = &metav1.LabelSelector{}
		}, "to every namespace"},
		{"metrics open to addresses", func(s *Set) {
			s.NetworkPolicy.Spec.Ingress[1].From = []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}}}
		}, "to the addresses 0.0.0.0/0"},
		{"metrics closed", func(s *Set) { s.NetworkPolicy.Spec.Ingress = s.NetworkPolicy.Spec.Ingress[:1] }, "no scraper can reach the metrics"},
		{"policy rule opens every port", func(s *Set) { s.NetworkPolicy.Spec.Ingress[0].Ports = nil }, "opens every port"},
		{"policy opens another port", func(s *Set) {
			s.NetworkPolicy.Spec.Ingress[0].Ports[0].Port = ptr.To(intstr.FromInt32(22))
		}, `want only the named ports "http" and "metrics"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := render(t, "prod")
			tc.mutate(s)
			err := Check(s, uid, gid, false)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v\nwant an error containing %q", err, tc.want)
			}
		})
	}
}

func TestParseGoMemLimit(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"0": 0, "1024": 1024, "12MiB": 12 << 20, "1GiB": 1 << 30, "7B": 7, "3KiB": 3 << 10} {
		if got, err := parseGoMemLimit(in); err != nil || got != want {
			t.Errorf("parseGoMemLimit(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "12M", "12mb", "-1", "1.5GiB", "99999999999TiB"} {
		if _, err := parseGoMemLimit(in); err == nil {
			t.Errorf("parseGoMemLimit(%q) accepted", in)
		}
	}
}
