// Command dev is the Kubernetes dev loop (make k8s-dev): it builds the image from the
// working tree, pushes it to the cluster's registry, applies an overlay with the image
// pinned by its digest, waits for the rollout, streams the pods' logs, and starts over
// when a source file of the product changes, until Ctrl-C. It is what the seed's skaffold
// dev profile did, without skaffold (which the module proxy does not serve).
//
//	dev -root DIR -registry 127.0.0.1:5001 -kubectl PATH [-overlay dev] [-namespace getsmall-dev]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// config is what the loop needs; flags set it.
type config struct {
	root      string        // the product's tree: what is built and watched
	overlay   string        // deploy/overlays/<overlay>
	namespace string        // where it runs
	registry  string        // the cluster's registry, host:port
	kubectl   string        // the cluster's kubectl (KUBECONFIG from the environment)
	make      string        // make, for the image targets
	platform  string        // the one platform to build: the nodes'
	poll      time.Duration // how often the tree is looked at
	once      bool          // deploy once and stop (no logs, no watching)
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg := config{overlay: "dev", namespace: "getsmall-dev", make: "make", platform: "linux/amd64", poll: time.Second}
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.root, "root", "", "the product's tree (the repository root)")
	fs.StringVar(&cfg.overlay, "overlay", cfg.overlay, "the overlay under deploy/overlays to apply")
	fs.StringVar(&cfg.namespace, "namespace", cfg.namespace, "the namespace to run in (made if missing, Pod Security restricted)")
	fs.StringVar(&cfg.registry, "registry", "", "the cluster's registry, host:port")
	fs.StringVar(&cfg.kubectl, "kubectl", "kubectl", "kubectl (KUBECONFIG from the environment)")
	fs.StringVar(&cfg.make, "make", cfg.make, "make, to run the image targets")
	fs.StringVar(&cfg.platform, "platform", cfg.platform, "the platform to build, the nodes' own")
	fs.DurationVar(&cfg.poll, "poll", cfg.poll, "how often to look for changed sources")
	fs.BoolVar(&cfg.once, "once", false, "deploy once and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || cfg.root == "" || cfg.registry == "" || cfg.poll <= 0 {
		fmt.Fprintln(stderr, "usage: dev -root DIR -registry HOST:PORT [-kubectl PATH] [-overlay dev] [-namespace NS] [-poll 1s] [-once]")
		return 2
	}
	root, err := filepath.Abs(cfg.root)
	if err != nil {
		fmt.Fprintln(stderr, "dev:", err)
		return 2
	}
	cfg.root = root
	if _, err := os.Stat(filepath.Join(root, "deploy", "overlays", cfg.overlay, "kustomization.yaml")); err != nil {
		fmt.Fprintf(stderr, "dev: no overlay %q: %v\n", cfg.overlay, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	l := &loop{cfg: cfg, out: stdout}
	err = l.run(ctx)
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stdout, "dev: stopped; what it deployed keeps running (kubectl delete namespace %s removes it)\n", cfg.namespace)
	case err != nil:
		fmt.Fprintln(stderr, "dev:", err)
		return 1
	}
	return 0
}

// loop is one dev session: the last image deployed and the log stream of its pods.
type loop struct {
	cfg  config
	out  io.Writer
	logs *logStream
}

func (l *loop) run(ctx context.Context) error {
	defer l.stopLogs()
	seen, err := snapshot(l.cfg.root)
	if err != nil {
		return err
	}
	for round := 1; ; round++ {
		if err := l.deploy(ctx, round); err != nil {
			if ctx.Err() != nil || l.cfg.once {
				return err
			}
			// A broken build or a failed rollout is the developer's to fix: say so, and
			// try again on the next change.
			fmt.Fprintf(l.out, "dev: round %d failed: %v\ndev: waiting for a change\n", round, err)
		}
		if l.cfg.once {
			return nil
		}
		changed, err := waitForChange(ctx, l.cfg.root, seen, l.cfg.poll)
		if err != nil {
			return err
		}
		fmt.Fprintf(l.out, "dev: changed: %s\n", changed.summary())
		seen = changed.now
	}
}

func (l *loop) stopLogs() {
	if l.logs != nil {
		l.logs.stop()
		l.logs = nil
	}
}
