// Package cli is getsmall's command line: it picks the command (serve, healthcheck,
// version), wires the packages together and turns the outcome into an exit code. It takes
// its inputs as arguments so that tests can run it in-process.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/getsmall/getsmall/healthcheck"
	"github.com/getsmall/getsmall/memlimit"
	"github.com/getsmall/getsmall/router"
	"github.com/getsmall/getsmall/server"
)

// Build describes the binary. cmd/getsmall fills it from variables the linker sets.
type Build struct {
	Version, Commit, Date string
	// Routes are served after router/routes.go's: a program built around this package
	// adds its own (the end-to-end suites' binary with a body route).
	Routes []router.Route
}

// Exit codes: 2 is a usage error (bad flag, bad environment value, unknown command), 1 any
// failure at run time (port in use, unclean shutdown, failed probe).
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

const name = "getsmall"

// Run runs the command named by args (without the program name) and returns the exit
// code. Only main calls os.Exit.
func Run(args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer, build Build) int {
	logger := log.New(stderr, name+": ", 0)
	cmd := "serve"
	if len(args) > 0 {
		switch args[0] {
		case "serve", "healthcheck", "version":
			cmd, args = args[0], args[1:]
		}
	}

	var err error
	switch cmd {
	case "version":
		err = version(args, stdout, build)
	case "healthcheck":
		err = probe(args, lookupEnv, stdout)
	default:
		err = serve(args, lookupEnv, stdout, logger, build)
	}

	var usage *server.UsageError
	switch {
	case err == nil, errors.Is(err, server.ErrHelp):
		return exitOK
	case errors.As(err, &usage):
		logger.Printf("%v (see %s -h)", err, name)
		return exitUsage
	default:
		logger.Print(err)
		return exitFail
	}
}

func serve(args []string, lookupEnv func(string) (string, bool), stdout io.Writer, logger *log.Logger, build Build) error {
	cfg := server.Defaults()
	fs, err := server.NewFlagSet(name, &cfg, lookupEnv)
	if err != nil {
		return err
	}
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: %s [serve|healthcheck|version] [flags]\n\n"+
			"  serve        serve /health (the default command)\n"+
			"  healthcheck  probe a running server's /health: exit 0 on 200, 1 otherwise\n"+
			"  version      print the version, commit, Go and fasthttp versions\n\n"+
			"Flags of serve (each flag wins over its environment variable):\n", name)
		server.PrintFlags(stdout, fs)
	}
	if err := server.Parse(fs, args); err != nil {
		return err
	}
	memory, warnings := applyMemory(&cfg, cfg.MaxConnsSet(), lookupEnv, memlimit.Read)
	for _, w := range warnings {
		logger.Print("warning: ", w)
	}

	// Signals are caught before listening, so a SIGTERM that arrives during start-up is
	// a clean shutdown rather than the default abrupt exit.
	stop := make(chan os.Signal, 2)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(stop)

	// A socket systemd passed (socket activation) wins over -addr: the unit chose the address.
	ln, err := server.Inherited(lookupEnv, os.Getpid())
	if err == nil && ln == nil {
		ln, err = server.Listen(cfg.Addr)
	}
	if err != nil {
		return err
	}
	drain := new(router.Drain)
	reg := newRegistry(build)
	rt := router.New(router.Options{Drain: drain, Version: build.Version, Routes: build.Routes, Metrics: reg})
	for _, r := range rt.Routes() {
		if r.MaxBodyBytes > cfg.MaxBodyBytes {
			logger.Printf("warning: %s reads bodies of up to %d bytes, but -max-body-bytes caps it at %d", r.Path, r.MaxBodyBytes, cfg.MaxBodyBytes)
		}
	}
	srv := server.Server{Config: cfg, Handler: rt.Handler, BodyLimit: rt.BodyLimit, Route: rt.Route, Drain: drain, Log: logger,
		Metrics: reg, AccessLog: stdout}
	if cfg.MetricsAddr != "" {
		if srv.MetricsListener, err = server.Listen(cfg.MetricsAddr); err != nil {
			_ = ln.Close()
			return err
		}
	}
	logger.Printf("serving on %s (version %s, commit %s; %s)", ln.Addr(), build.Version, build.Commit, memory)
	if srv.MetricsListener != nil {
		logger.Printf("metrics on http://%s/metrics", srv.MetricsListener.Addr())
	}
	return srv.Run(ln, stop)
}

func probe(args []string, lookupEnv func(string) (string, bool), stdout io.Writer) error {
	// The same -addr, ADDR and PORT as serve, so that a container's HEALTHCHECK finds the
	// port the server was given through its environment.
	cfg := server.Defaults()
	fs, err := server.NewAddrFlagSet(name+" healthcheck", &cfg, lookupEnv)
	if err != nil {
		return err
	}
	url := fs.String("url", "", "probe this URL instead of the /health that -addr implies")
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: %s healthcheck [flags]\n\n"+
			"GET /health of a server on this host within %v; exit 0 on 200, 1 otherwise.\n\n"+
			"Flags (each flag wins over its environment variable):\n", name, healthcheck.Timeout)
		server.PrintFlags(stdout, fs)
	}
	if err := server.Parse(fs, args); err != nil {
		return err
	}
	target := *url
	if target == "" {
		target = healthcheck.URLFor(cfg.Addr)
	}
	if err := healthcheck.Probe(target, healthcheck.Timeout); err != nil {
		return fmt.Errorf("unhealthy: %s: %w", target, err)
	}
	fmt.Fprintf(stdout, "healthy: %s answered 200\n", target)
	return nil
}

func version(args []string, stdout io.Writer, build Build) error {
	fs := flag.NewFlagSet(name+" version", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() { fmt.Fprintf(stdout, "Usage: %s version\n", name) }
	if err := server.Parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "getsmall %s\ncommit    %s\nbuilt     %s\ngo        %s %s/%s\nfasthttp  %s\n",
		build.Version, build.Commit, build.Date, runtime.Version(), runtime.GOOS, runtime.GOARCH,
		moduleVersion("github.com/valyala/fasthttp"))
	return nil
}

// moduleVersion reads a dependency's version from the build information the Go linker
// embeds in every module-mode binary, so it is right even for a plain go build.
func moduleVersion(path string) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == path {
				if dep.Replace != nil {
					return dep.Replace.Version + " (replaced)"
				}
				return dep.Version
			}
		}
	}
	return "unknown"
}
