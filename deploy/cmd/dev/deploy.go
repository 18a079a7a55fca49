package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/getsmall/getsmall/deploy/manifest"
)

// pushedLine is what make docker-push prints for each image index it pushed.
var pushedLine = regexp.MustCompile(`(?m)^pushed (\S+@sha256:[0-9a-f]{64})$`)

// deploy is one round: build, push, apply pinned by digest, wait for the rollout, and
// follow the new pods' logs.
func (l *loop) deploy(ctx context.Context, round int) error {
	start := time.Now()
	version := fmt.Sprintf("dev-%d-%d", start.Unix(), round)
	fmt.Fprintf(l.out, "dev: round %d: building %s for %s\n", round, version, l.cfg.platform)
	if _, err := l.command(ctx, l.cfg.root, l.cfg.make, "--no-print-directory", "docker-build", "PLATFORMS="+l.cfg.platform, "VERSION="+version); err != nil {
		return err
	}
	built := time.Now()
	out, err := l.command(ctx, l.cfg.root, l.cfg.make, "--no-print-directory", "docker-push", "REGISTRY="+l.cfg.registry, "PLATFORMS="+l.cfg.platform, "VERSION="+version)
	if err != nil {
		return err
	}
	m := pushedLine.FindStringSubmatch(out)
	if m == nil {
		return fmt.Errorf("make docker-push printed no pushed image:\n%s", out)
	}
	image := m[1]
	l.forgetLocal(image, version)
	pushed := time.Now()

	set, err := manifest.RenderPinned(filepath.Join(l.cfg.root, "deploy", "overlays", l.cfg.overlay), image)
	if err != nil {
		return err
	}
	if err := l.apply(ctx, manifest.RestrictedNamespace(l.cfg.namespace), ""); err != nil {
		return err
	}
	if err := l.apply(ctx, set.YAML, l.cfg.namespace); err != nil {
		return err
	}
	name := set.Deployment.Name
	if _, err := l.command(ctx, "", l.cfg.kubectl, "rollout", "status", "deployment/"+name, "--namespace", l.cfg.namespace, "--timeout=180s"); err != nil {
		return err
	}
	svc, _ := l.command(ctx, "", l.cfg.kubectl, "get", "service", set.Service.Name, "--namespace", l.cfg.namespace,
		"-o", `jsonpath={.spec.clusterIP}:{.spec.ports[0].port}`)
	fmt.Fprintf(l.out, "dev: round %d: %s rolled out in %.1f s (build %.1f s, push %.1f s): http://%s/health (Service %s.%s)\n",
		round, image, time.Since(start).Seconds(), built.Sub(start).Seconds(), pushed.Sub(built).Seconds(),
		strings.TrimSpace(svc), set.Service.Name, l.cfg.namespace)
	if !l.cfg.once {
		l.stopLogs()
		l.logs = startLogs(l.cfg.kubectl, l.cfg.namespace, set.Deployment.Spec.Selector.MatchLabels, l.out)
	}
	return nil
}

// command runs name with args in dir and returns its output; on failure the error holds
// the output's tail.
func (l *loop) command(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...) //nolint:gosec // make and kubectl with the loop's own arguments
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		tail := out.String()
		if len(tail) > 4000 {
			tail = "..." + tail[len(tail)-4000:]
		}
		return "", fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, tail)
	}
	return out.String(), nil
}

func (l *loop) apply(ctx context.Context, yaml []byte, namespace string) error {
	args := []string{"apply", "--server-side", "--field-manager=getsmall-dev", "-f", "-"}
	if namespace != "" {
		args = append(args, "--namespace", namespace)
	}
	cmd := exec.CommandContext(ctx, l.cfg.kubectl, args...) //nolint:gosec // the cluster's kubectl
	cmd.Stdin = bytes.NewReader(yaml)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("kubectl apply: %w: %s", err, out)
	}
	return nil
}

// forgetLocal drops the local names the build gave this round's image: the registry
// holds it now, and a long session would otherwise pile up one per round.
func (l *loop) forgetLocal(image, version string) {
	docker := os.Getenv("DOCKER")
	if docker == "" {
		docker = "docker"
	}
	repo := image[strings.LastIndex(image, "/")+1 : strings.Index(image, "@")]
	tag := repo + ":" + version
	_ = exec.Command(docker, "rmi", tag, tag+"-"+strings.ReplaceAll(l.cfg.platform, "/", "-")).Run() //nolint:gosec // names this round made
}

// logStream follows the logs of every pod a selector picks, each line prefixed with its pod.
type logStream struct{ cmd *exec.Cmd }

func startLogs(kubectl, namespace string, labels map[string]string, out io.Writer) *logStream {
	var sel []string
	for k, v := range labels {
		sel = append(sel, k+"="+v)
	}
	sort.Strings(sel)
	cmd := exec.Command(kubectl, "logs", "--follow", "--prefix", "--since=30s", "--max-log-requests=20", //nolint:gosec // the cluster's kubectl
		"--namespace", namespace, "--selector", strings.Join(sel, ","))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(out, "dev: no logs: %v\n", err)
		return nil
	}
	return &logStream{cmd: cmd}
}

func (s *logStream) stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}
