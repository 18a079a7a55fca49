// Package server runs getsmall's HTTP server for its whole life: it reads the configuration
// from flags and the environment, listens, serves, drains on the first signal and shuts down
// within a deadline.
package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// Config is everything the serve command can be told. Every field has a flag and an
// environment variable; Defaults returns the values used when neither is given.
type Config struct {
	Addr            string        // -addr, ADDR (or PORT=n for ":n")
	ReadTimeout     time.Duration // -read-timeout, READ_TIMEOUT
	WriteTimeout    time.Duration // -write-timeout, WRITE_TIMEOUT
	IdleTimeout     time.Duration // -idle-timeout, IDLE_TIMEOUT
	ShutdownDelay   time.Duration // -shutdown-delay, SHUTDOWN_DELAY
	ShutdownTimeout time.Duration // -shutdown-timeout, SHUTDOWN_TIMEOUT
	MaxConns        int           // -max-conns, MAX_CONNS; see MaxConnsSet
	MaxBodyBytes    int           // -max-body-bytes, MAX_BODY_BYTES
	MaxHeaderBytes  int           // -max-header-bytes, MAX_HEADER_BYTES
	MetricsAddr     string        // -metrics-addr, METRICS_ADDR; empty: no metrics served
	LogRequests     bool          // -log-requests, LOG_REQUESTS

	// MaxBusy is how many of the MaxConns open connections may be in a request at once
	// (the rest wait between requests at a few KiB each): derived from the memory limit
	// with MaxConns, no flag of its own. 0, or more than MaxConns: MaxConns.
	MaxBusy int

	maxConnsSet bool // by the flag or the environment
}

// MaxConnsSet reports whether -max-conns or MAX_CONNS gave MaxConns. When neither did, the
// serve command derives it from the memory limit; the default is the cap without one.
func (c *Config) MaxConnsSet() bool { return c.maxConnsSet }

// Defaults returns the configuration used when neither flag nor environment says otherwise.
// Nothing is unlimited: fasthttp's own defaults leave the read and write timeouts unbounded
// (a silent client then holds a connection, and shutdown, for ever), allow 262,144
// connections and 4 MiB bodies.
func Defaults() Config {
	return Config{
		Addr:            ":8080",
		ReadTimeout:     5 * time.Second,  // a whole request, headers and body, from a slow client
		WriteTimeout:    5 * time.Second,  // writing a 15-byte answer never needs more
		IdleTimeout:     75 * time.Second, // longer than common load balancers' 60 s keep-alive
		ShutdownDelay:   0,                // set it to the time your load balancer needs to notice 503
		ShutdownTimeout: 8 * time.Second,  // inside Docker's and Kubernetes' default 10 s / 30 s grace
		MaxConns:        1024,             // without a memory limit; serve derives it from one
		MaxBodyBytes:    4096,             // /health takes no body; this only bounds what is read
		MaxHeaderBytes:  4096,             // request line plus headers; larger gets 431
	}
}

// Limits on the numeric settings. Zero is refused rather than passed on, because fasthttp
// reads zero as "use the default" or "unlimited", which would be a silent surprise.
const (
	minHeaderBytes = 256
	maxHeaderBytes = 1 << 20
	maxBodyBytes   = 1 << 30
	maxConns       = 1 << 20
)

// setting ties one flag to its environment variable, its parser and its help text.
type setting struct {
	flag, env, usage string
	value            flag.Value
}

func (c *Config) settings() []setting {
	return []setting{ // addr first: NewAddrFlagSet takes it alone
		{"addr", "ADDR", "listen address, host:port; PORT=n alone means :n", addrValue{&c.Addr}},
		{"read-timeout", "READ_TIMEOUT", "time allowed to read a whole request", durationValue{&c.ReadTimeout, false}},
		{"write-timeout", "WRITE_TIMEOUT", "time allowed to write a response", durationValue{&c.WriteTimeout, false}},
		{"idle-timeout", "IDLE_TIMEOUT", "time a keep-alive connection may wait for its next request", durationValue{&c.IdleTimeout, false}},
		{"shutdown-delay", "SHUTDOWN_DELAY", "after a signal, keep serving but answer /health 503 this long", durationValue{&c.ShutdownDelay, true}},
		{"shutdown-timeout", "SHUTDOWN_TIMEOUT", "then wait this long for in-flight requests before giving up", durationValue{&c.ShutdownTimeout, false}},
		{"max-conns", "MAX_CONNS", "concurrent connections, more get 503; auto: derived from the memory limit", connsValue{intValue{&c.MaxConns, 1, maxConns}, &c.maxConnsSet}},
		{"max-body-bytes", "MAX_BODY_BYTES", "largest request body read; larger gets 413", intValue{&c.MaxBodyBytes, 1, maxBodyBytes}},
		{"max-header-bytes", "MAX_HEADER_BYTES", "largest request line plus headers; larger gets 431", intValue{&c.MaxHeaderBytes, minHeaderBytes, maxHeaderBytes}},
		{"metrics-addr", "METRICS_ADDR", "serve Prometheus metrics at /metrics on this host:port, never the service's; empty: off", metricsAddr{addrValue{&c.MetricsAddr}}},
		{"log-requests", "LOG_REQUESTS", "write a JSON line per request to stdout (dropped, and counted, when stdout is slower than the server)", logValue{boolValue{&c.LogRequests}}},
	}
}

// UsageError is a bad flag, environment value or argument: the command exits 2.
type UsageError struct{ msg string }

func (e *UsageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &UsageError{msg: fmt.Sprintf(format, args...)}
}

// ErrHelp is returned by Parse when -h or -help was given, after fs.Usage has run.
var ErrHelp = flag.ErrHelp

// NewFlagSet returns a flag set holding every setting of cfg. The environment is read first
// and becomes each flag's default, so a flag on the command line always wins over the
// environment, whatever its value. A bad environment value is a *UsageError naming the
// variable and the value; an empty variable counts as unset, as in the shell's
// ${PORT:-8080}. Callers may add flags of their own before calling Parse.
func NewFlagSet(name string, cfg *Config, lookupEnv func(string) (string, bool)) (*flag.FlagSet, error) {
	return newFlagSet(name, cfg, cfg.settings(), lookupEnv)
}

// NewAddrFlagSet is NewFlagSet with only -addr (ADDR, PORT): what a client of the server,
// such as the healthcheck command, needs to find it.
func NewAddrFlagSet(name string, cfg *Config, lookupEnv func(string) (string, bool)) (*flag.FlagSet, error) {
	return newFlagSet(name, cfg, cfg.settings()[:1], lookupEnv)
}

func newFlagSet(name string, cfg *Config, settings []setting, lookupEnv func(string) (string, bool)) (*flag.FlagSet, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by the caller
	if err := cfg.readPort(lookupEnv); err != nil {
		return nil, err
	}
	for _, s := range settings {
		if v, ok := lookupEnv(s.env); ok && v != "" {
			if err := s.value.Set(v); err != nil {
				return nil, usageErrorf("invalid value %q for environment variable %s: %v", v, s.env, err)
			}
		}
		fs.Var(s.value, s.flag, s.usage+" (env "+s.env+")")
	}
	return fs, nil
}

// readPort applies PORT, the variable many platforms set. ADDR, read after it, wins.
func (c *Config) readPort(lookupEnv func(string) (string, bool)) error {
	v, ok := lookupEnv("PORT")
	if !ok || v == "" {
		return nil
	}
	if err := checkPort(v); err != nil {
		return usageErrorf("invalid value %q for environment variable PORT: %v", v, err)
	}
	c.Addr = ":" + v
	return nil
}

// Parse parses args into fs and turns its errors into one-line *UsageErrors naming the flag
// and the value. No positional arguments are accepted: a stray word is a mistake, not
// something to ignore. -h or -help runs fs.Usage and returns ErrHelp.
func Parse(fs *flag.FlagSet, args []string) error {
	// The flag package prints usage on every error; here a mistake gets one line and only
	// -h gets the whole usage.
	usage := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = usage }()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage()
			return ErrHelp
		}
		return &UsageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// PrintFlags writes one line per flag of fs, with its environment variable and the default
// in effect (which already includes the environment's value).
func PrintFlags(out io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(out, "  -%-17s %s (default %q)\n", f.Name, f.Usage, f.DefValue)
	})
}
