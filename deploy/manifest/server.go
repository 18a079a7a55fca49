package manifest

import (
	"errors"
	"fmt"
	"time"

	"github.com/getsmall/getsmall/router"
	"github.com/getsmall/getsmall/server"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ContainerName and PortName are the names the manifests give the server's container and
// its HTTP port; probes, the Service and the NetworkPolicy refer to the port by name.
const (
	ContainerName = "getsmall"
	PortName      = "http"
)

// MinStartupAllowance is the least time the startup probe must allow before the first
// answer. The UPX image unpacks itself before main runs: about 128 ms on the 2-core amd64
// machine of docs/loadtest.md; a small ARM board is many times slower.
const MinStartupAllowance = 10 * time.Second

// MinPreStopSleep is the least lifecycle.preStop.sleep the manifests may set. Deleting a
// pod marks it terminating (the Service's endpoints drop it) and starts its preStop hook at
// the same moment; the SIGTERM comes after the hook. The sleep keeps the server answering
// as usual until every kube-proxy has stopped sending it new connections: without it, new
// connections through the Service reached a deleted pod up to 0.85 s after the delete on
// the test cluster (docs/kubernetes.md), within kube-proxy's 1 s minimum sync period. Twice
// that period is the floor; the overlays sleep 5 s, for clusters with more nodes and
// proxies to update.
const MinPreStopSleep = 2 * time.Second

// MinShutdownDelay is the least SHUTDOWN_DELAY the manifests may set. After the preStop
// sleep, the drain answers /health 503 to health checkers that ask the pod directly (one
// connection per check) and closes every kept-alive connection after its next answer, so
// its client moves on without an error. It must last a readiness period at least (checked
// with the probe), and a client that sends a request at least this often is moved off
// before the listener closes.
const MinShutdownDelay = 2 * time.Second

// runtimeEnv are the variables the Go runtime reads; the container may set them although
// the server's flags do not.
var runtimeEnv = map[string]bool{"GOMEMLIMIT": true, "GOGC": true, "GOMAXPROCS": true, "GODEBUG": true}

// ServerConfig returns the configuration the server in c starts with: its own defaults
// overridden by the container's environment, parsed by the server's own code, so a value
// the server would refuse is refused here. set lists the variables the container sets.
func ServerConfig(c *corev1.Container) (cfg server.Config, set map[string]string, err error) {
	set = map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			return cfg, nil, fmt.Errorf("env %s: valueFrom cannot be checked; give a literal value", e.Name)
		}
		set[e.Name] = e.Value
	}
	if len(c.Args) > 0 || len(c.Command) > 0 {
		return cfg, nil, errors.New("command/args: configure the server through its environment, which these checks read")
	}
	read := map[string]bool{}
	lookup := func(name string) (string, bool) {
		read[name] = true
		v, ok := set[name]
		return v, ok
	}
	cfg = server.Defaults()
	fs, err := server.NewFlagSet("getsmall", &cfg, lookup)
	if err != nil {
		return cfg, nil, err
	}
	if err := server.Parse(fs, nil); err != nil {
		return cfg, nil, err
	}
	for name := range set {
		if !read[name] && !runtimeEnv[name] {
			return cfg, nil, fmt.Errorf("env %s: the server does not read it (a typo?)", name)
		}
	}
	return cfg, set, nil
}

// CheckServer checks that the manifests agree with the server they run: its port, its
// health path, its metrics where the annotations say and reachable by scrapers alone, and
// a way out (preStop sleep, then the server's drain and shutdown) that the probes and the
// grace period leave room for.
func CheckServer(s *Set) error {
	c, err := s.Container(ContainerName)
	if err != nil {
		return err
	}
	cfg, _, err := ServerConfig(c)
	if err != nil {
		return fmt.Errorf("container %s: %w", c.Name, err)
	}
	return errors.Join(checkPorts(s, c, cfg), checkMetrics(s, c, cfg), checkPolicy(s), checkProbes(c, cfg), checkShutdown(s, c, cfg))
}

func checkPorts(s *Set, c *corev1.Container, cfg server.Config) error {
	var errs []error
	port, err := addrPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("server %w", err)
	}
	switch named := containerPort(c, PortName); {
	case named == nil:
		errs = append(errs, fmt.Errorf("container %s: no port named %q", c.Name, PortName))
	case int(named.ContainerPort) != port:
		errs = append(errs, fmt.Errorf("container port %q is %d, the server listens on %s", PortName, named.ContainerPort, cfg.Addr))
	}
	want := intstr.FromString(PortName)
	for _, sp := range s.Service.Spec.Ports {
		if sp.TargetPort != want {
			errs = append(errs, fmt.Errorf("service port %d targets %s, want the named port %q", sp.Port, sp.TargetPort.String(), PortName))
		}
	}
	return errors.Join(errs...)
}

func checkProbes(c *corev1.Container, cfg server.Config) error {
	var errs []error
	probes := []struct {
		name  string
		probe *corev1.Probe
	}{{"startup", c.StartupProbe}, {"readiness", c.ReadinessProbe}, {"liveness", c.LivenessProbe}}
	for _, p := range probes {
		if p.probe == nil {
			errs = append(errs, fmt.Errorf("%s probe: missing", p.name))
			continue
		}
		h := p.probe.HTTPGet
		if h == nil || h.Path != router.HealthPath || h.Port != intstr.FromString(PortName) {
			errs = append(errs, fmt.Errorf("%s probe: want httpGet %s on port %q", p.name, router.HealthPath, PortName))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	drain := cfg.ShutdownDelay + cfg.ShutdownTimeout
	if w := window(c.StartupProbe, failures(c.StartupProbe)); w < MinStartupAllowance {
		errs = append(errs, fmt.Errorf("startup probe allows %v before the first answer, want at least %v (UPX cold start)", w, MinStartupAllowance))
	}
	// Readiness must see the draining 503 before the server stops accepting, or a pod
	// drained without being deleted keeps receiving new connections it will refuse.
	if w := window(c.ReadinessProbe, failures(c.ReadinessProbe)); w > cfg.ShutdownDelay {
		errs = append(errs, fmt.Errorf("readiness probe takes up to %v to see /health 503, longer than SHUTDOWN_DELAY %v", w, cfg.ShutdownDelay))
	}
	// The server answers as usual during the preStop sleep. The first failed liveness probe
	// may come the moment the drain starts; the restart comes failureThreshold-1 periods
	// later. By then the server must have exited.
	if w := window(c.LivenessProbe, failures(c.LivenessProbe)-1); w <= drain {
		errs = append(errs, fmt.Errorf("liveness probe restarts after %v of failures, within the shutdown's %v (SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT): a draining pod could be killed", w, drain))
	}
	return errors.Join(errs...)
}

// window is how long periods of p add up to; Kubernetes' defaults apply to zero fields
// (the API server fills them in, the rendered manifest may leave them out).
func window(p *corev1.Probe, periods int32) time.Duration {
	period := p.PeriodSeconds
	if period == 0 {
		period = 10
	}
	return time.Duration(period) * time.Duration(periods) * time.Second
}

// failures is the probe's failureThreshold, 3 when unset.
func failures(p *corev1.Probe) int32 {
	if p.FailureThreshold == 0 {
		return 3
	}
	return p.FailureThreshold
}

// Drain is a pod's way out as the manifests set it: the preStop sleep, then the server's
// drain and shutdown (SIGTERM), all inside the grace period.
type Drain struct {
	PreStopSleep    time.Duration // lifecycle.preStop.sleep.seconds
	ShutdownDelay   time.Duration // SHUTDOWN_DELAY: /health 503 to new connections, Connection: close
	ShutdownTimeout time.Duration // SHUTDOWN_TIMEOUT: the longest wait for open connections
	Grace           time.Duration // terminationGracePeriodSeconds, from the delete to SIGKILL
}

// Longest is how long the pod can take from its deletion to the server's exit.
func (d Drain) Longest() time.Duration { return d.PreStopSleep + d.ShutdownDelay + d.ShutdownTimeout }

// DrainOf reads the drain of s's container (the grace period is 0 when unset).
func DrainOf(s *Set) (Drain, error) {
	c, err := s.Container(ContainerName)
	if err != nil {
		return Drain{}, err
	}
	cfg, _, err := ServerConfig(c)
	if err != nil {
		return Drain{}, fmt.Errorf("container %s: %w", c.Name, err)
	}
	d := Drain{ShutdownDelay: cfg.ShutdownDelay, ShutdownTimeout: cfg.ShutdownTimeout}
	if l := c.Lifecycle; l != nil && l.PreStop != nil && l.PreStop.Sleep != nil {
		d.PreStopSleep = time.Duration(l.PreStop.Sleep.Seconds) * time.Second
	}
	if g := s.Deployment.Spec.Template.Spec.TerminationGracePeriodSeconds; g != nil {
		d.Grace = time.Duration(*g) * time.Second
	}
	return d, nil
}

func checkShutdown(s *Set, c *corev1.Container, cfg server.Config) error {
	var errs []error
	switch l := c.Lifecycle; {
	case l != nil && l.PostStart != nil:
		errs = append(errs, errors.New("postStart hook: the image has nothing to run"))
	case l == nil || l.PreStop == nil:
		errs = append(errs, fmt.Errorf("no preStop sleep: the SIGTERM would come while the Service still sends the pod new connections (want lifecycle.preStop.sleep of at least %v)", MinPreStopSleep))
	case l.PreStop.Exec != nil || l.PreStop.HTTPGet != nil || l.PreStop.TCPSocket != nil || l.PreStop.Sleep == nil:
		errs = append(errs, errors.New("preStop: want only sleep (there is no shell in the image to exec, and the drain is the server's own)"))
	}
	d, err := DrainOf(s)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	if d.PreStopSleep > 0 && d.PreStopSleep < MinPreStopSleep {
		errs = append(errs, fmt.Errorf("preStop sleep %v: want at least %v, the time endpoints took to converge here", d.PreStopSleep, MinPreStopSleep))
	}
	if cfg.ShutdownDelay < MinShutdownDelay {
		errs = append(errs, fmt.Errorf("SHUTDOWN_DELAY %v: want at least %v", cfg.ShutdownDelay, MinShutdownDelay))
	}
	if d.Grace <= d.Longest() {
		errs = append(errs, fmt.Errorf("terminationGracePeriodSeconds must exceed the preStop sleep + SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT = %v, or the kubelet kills the server mid-shutdown", d.Longest()))
	}
	return errors.Join(errs...)
}
