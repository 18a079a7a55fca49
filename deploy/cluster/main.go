// Command cluster runs a single-node Kubernetes on this machine for the project's tests:
// etcd, the control plane, a private containerd, the kubelet and kube-proxy, plus a local
// image registry, all as root processes it starts and stops by PID. Everything it makes
// lives in one state directory, except what Linux keeps elsewhere (a bridge, cgroups,
// sysctls, netfilter rules), which `down` removes or restores and then checks.
//
//	cluster up     [flags]   start it, or say it is already up
//	cluster down   [flags]   stop it, clean the host, and fail if anything is left
//	cluster status [flags]   exit 0 when it is up
//	cluster env    [flags]   print KUBECONFIG, PATH and REGISTRY for a shell's eval
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: cluster up|down|status|env [flags]")
		return 2
	}
	c := defaults()
	fs := flag.NewFlagSet("cluster "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Dir, "dir", c.Dir, "state directory: certificates, configuration, data, logs, PIDs")
	fs.StringVar(&c.Bin, "bin", c.Bin, "directory holding the Kubernetes binaries (make k8s-build)")
	fs.StringVar(&c.PauseBin, "pause", c.PauseBin, "the pause binary to build the sandbox image from")
	fs.StringVar(&c.RegistryBin, "registry", c.RegistryBin, "go-containerregistry's registry binary")
	fs.IntVar(&c.RegistryPort, "registry-port", c.RegistryPort, "port of the local image registry on 127.0.0.1")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cluster: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if c.Bin == "" {
		fmt.Fprintln(stderr, "cluster: -bin is required: the directory make k8s-build fills")
		return 2
	}
	// The components run in the state directory: every path they get must be absolute.
	for _, p := range []*string{&c.Dir, &c.Bin, &c.PauseBin, &c.RegistryBin} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			fmt.Fprintln(stderr, "cluster:", err)
			return 2
		}
		*p = abs
	}
	var err error
	switch args[0] {
	case "up":
		err = c.Up(stdout)
	case "down":
		err = c.Down(stdout)
	case "status":
		err = c.Status(stdout)
	case "env":
		err = c.Env(stdout)
	default:
		fmt.Fprintf(stderr, "cluster: unknown command %q: want up, down, status or env\n", args[0])
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "cluster "+args[0]+": "+err.Error())
		if errors.Is(err, errNotUp) {
			return 3
		}
		return 1
	}
	return 0
}
