package server

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// env turns a map into a lookup function, as os.LookupEnv.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func parseServe(args []string, vars map[string]string) (Config, error) {
	cfg := Defaults()
	fs, err := NewFlagSet("getsmall", &cfg, env(vars))
	if err != nil {
		return Config{}, err
	}
	return cfg, Parse(fs, args)
}

func TestConfigSources(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		args []string
		env  map[string]string
		want func(*Config)
	}{
		"defaults":              {},
		"PORT alone":            {env: map[string]string{"PORT": "9000"}, want: func(c *Config) { c.Addr = ":9000" }},
		"ADDR wins over PORT":   {env: map[string]string{"PORT": "9000", "ADDR": "127.0.0.1:7000"}, want: func(c *Config) { c.Addr = "127.0.0.1:7000" }},
		"flag wins over ADDR":   {args: []string{"-addr", "[::1]:6000"}, env: map[string]string{"ADDR": ":7000"}, want: func(c *Config) { c.Addr = "[::1]:6000" }},
		"flag equal to default": {args: []string{"-read-timeout=5s"}, env: map[string]string{"READ_TIMEOUT": "1s"}},
		"every env var": {
			env: map[string]string{
				"READ_TIMEOUT": "1s", "WRITE_TIMEOUT": "2s", "IDLE_TIMEOUT": "3s", "SHUTDOWN_DELAY": "4s",
				"SHUTDOWN_TIMEOUT": "5s", "MAX_CONNS": "6", "MAX_BODY_BYTES": "7", "MAX_HEADER_BYTES": "800",
			},
			want: func(c *Config) {
				*c = Config{Addr: ":8080", ReadTimeout: time.Second, WriteTimeout: 2 * time.Second,
					IdleTimeout: 3 * time.Second, ShutdownDelay: 4 * time.Second, ShutdownTimeout: 5 * time.Second,
					MaxConns: 6, MaxBodyBytes: 7, MaxHeaderBytes: 800, maxConnsSet: true}
			},
		},
		"every flag": {
			args: []string{"-addr=:1", "-read-timeout=1s", "-write-timeout=2s", "-idle-timeout=3s", "-shutdown-delay=4s",
				"-shutdown-timeout=5s", "-max-conns=6", "-max-body-bytes=7", "-max-header-bytes=800"},
			want: func(c *Config) {
				*c = Config{Addr: ":1", ReadTimeout: time.Second, WriteTimeout: 2 * time.Second,
					IdleTimeout: 3 * time.Second, ShutdownDelay: 4 * time.Second, ShutdownTimeout: 5 * time.Second,
					MaxConns: 6, MaxBodyBytes: 7, MaxHeaderBytes: 800, maxConnsSet: true}
			},
		},
		"zero shutdown delay": {args: []string{"-shutdown-delay=0"}},
		// An empty variable counts as unset, as ${PORT:-8080} treats it.
		"empty PORT, ADDR wins": {env: map[string]string{"PORT": "", "ADDR": "127.0.0.1:7000"}, want: func(c *Config) { c.Addr = "127.0.0.1:7000" }},
		"empty PORT alone":      {env: map[string]string{"PORT": ""}},
		"empty MAX_CONNS":       {env: map[string]string{"MAX_CONNS": "", "READ_TIMEOUT": ""}},
		"port zero":             {args: []string{"-addr=127.0.0.1:0"}, want: func(c *Config) { c.Addr = "127.0.0.1:0" }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want := Defaults()
			if tc.want != nil {
				tc.want(&want)
			}
			got, err := parseServe(tc.args, tc.env)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if got != want {
				t.Errorf("config\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"bad duration flag":  {args: []string{"-read-timeout", "soon"}, want: `invalid value "soon" for flag -read-timeout: not a duration (examples: 500ms, 5s, 1m)`},
		"zero timeout flag":  {args: []string{"-write-timeout=0s"}, want: `invalid value "0s" for flag -write-timeout: must be greater than zero`},
		"negative delay":     {args: []string{"-shutdown-delay=-1s"}, want: `invalid value "-1s" for flag -shutdown-delay: must not be negative`},
		"zero shutdown":      {env: map[string]string{"SHUTDOWN_TIMEOUT": "0"}, want: `invalid value "0" for environment variable SHUTDOWN_TIMEOUT: must be greater than zero`},
		"bad idle env":       {env: map[string]string{"IDLE_TIMEOUT": "1 minute"}, want: `invalid value "1 minute" for environment variable IDLE_TIMEOUT: not a duration (examples: 500ms, 5s, 1m)`},
		"bad int flag":       {args: []string{"-max-conns=many"}, want: `invalid value "many" for flag -max-conns: not an integer`},
		"zero conns":         {args: []string{"-max-conns=0"}, want: `invalid value "0" for flag -max-conns: must be between 1 and 1048576`},
		"tiny header buffer": {env: map[string]string{"MAX_HEADER_BYTES": "100"}, want: `invalid value "100" for environment variable MAX_HEADER_BYTES: must be between 256 and 1048576`},
		"negative body":      {env: map[string]string{"MAX_BODY_BYTES": "-1"}, want: `invalid value "-1" for environment variable MAX_BODY_BYTES: must be between 1 and 1073741824`},
		"addr without port":  {args: []string{"-addr", "8080"}, want: `invalid value "8080" for flag -addr: want host:port, for example :8080 or [::1]:8080`},
		"addr bad port":      {env: map[string]string{"ADDR": ":http"}, want: `invalid value ":http" for environment variable ADDR: want a port number from 0 to 65535`},
		"port out of range":  {env: map[string]string{"PORT": "70000"}, want: `invalid value "70000" for environment variable PORT: want a port number from 0 to 65535`},
		"port not a number":  {env: map[string]string{"PORT": " 80"}, want: `invalid value " 80" for environment variable PORT: want a port number from 0 to 65535`},
		"unknown flag":       {args: []string{"-verbose"}, want: `flag provided but not defined: -verbose`},
		"stray argument":     {args: []string{"-addr=:1", "extra"}, want: `unexpected argument "extra"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := parseServe(tc.args, tc.env)
			var usage *UsageError
			if !errors.As(err, &usage) {
				t.Fatalf("error = %v, want a *UsageError", err)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got %s\nwant %s", err, tc.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	cfg := Defaults()
	fs, err := NewFlagSet("getsmall", &cfg, env(map[string]string{"PORT": "9000"}))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	fs.Usage = func() { PrintFlags(&out, fs) }
	if err := Parse(fs, []string{"-h"}); !errors.Is(err, ErrHelp) {
		t.Fatalf("Parse(-h) = %v, want ErrHelp", err)
	}
	// Every setting is listed with its variable, and defaults show the environment's value.
	for _, s := range cfg.settings() {
		if !strings.Contains(out.String(), "-"+s.flag) || !strings.Contains(out.String(), "env "+s.env) {
			t.Errorf("usage lacks -%s / %s:\n%s", s.flag, s.env, out.String())
		}
	}
	if !strings.Contains(out.String(), `(default ":9000")`) {
		t.Errorf("usage does not show the default from PORT:\n%s", out.String())
	}
	// -max-conns is derived unless set, and says so; once set it shows the number.
	if !strings.Contains(out.String(), `(default "auto")`) || cfg.MaxConnsSet() {
		t.Errorf("usage does not show max-conns as auto, or it counts as set:\n%s", out.String())
	}
	cfg = Defaults()
	fs, err = NewFlagSet("getsmall", &cfg, env(map[string]string{"MAX_CONNS": "77"}))
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	PrintFlags(&out, fs)
	if !strings.Contains(out.String(), `(default "77")`) || !cfg.MaxConnsSet() {
		t.Errorf("MAX_CONNS=77: usage does not show 77, or it does not count as set:\n%s", out.String())
	}
}

func TestAddrFlagSetIgnoresOtherSettings(t *testing.T) {
	t.Parallel()
	cfg := Defaults()
	// A bad READ_TIMEOUT is the server's problem, not the healthcheck's.
	fs, err := NewAddrFlagSet("hc", &cfg, env(map[string]string{"READ_TIMEOUT": "bad", "PORT": "9001"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := Parse(fs, nil); err != nil || cfg.Addr != ":9001" {
		t.Errorf("Addr = %q, err = %v; want :9001, nil", cfg.Addr, err)
	}
	if err := Parse(fs, []string{"-read-timeout=1s"}); err == nil {
		t.Error("-read-timeout accepted by the address-only flag set")
	}
}

// TestObservabilityFlags checks -metrics-addr and -log-requests: on in the default build,
// a usage error naming the floppy build in the build that leaves them out.
func TestObservabilityFlags(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		args []string
		vars map[string]string
	}{
		"flags":       {args: []string{"-metrics-addr", "127.0.0.1:9090", "-log-requests"}},
		"environment": {vars: map[string]string{"METRICS_ADDR": ":9090", "LOG_REQUESTS": "true"}},
	} {
		cfg, err := parseServe(tc.args, tc.vars)
		switch {
		case observable && (err != nil || cfg.MetricsAddr == "" || !cfg.LogRequests):
			t.Errorf("%s: %+v, %v; want metrics and the log on", name, cfg, err)
		case !observable && (err == nil || !strings.Contains(err.Error(), "floppy build")):
			t.Errorf("%s in the floppy build: %v; want a usage error that says why", name, err)
		}
	}
	if cfg, err := parseServe([]string{"-log-requests=false", "-metrics-addr="}, map[string]string{"LOG_REQUESTS": "0"}); err != nil || cfg.LogRequests || cfg.MetricsAddr != "" {
		t.Errorf("turned off: %+v, %v", cfg, err) // in every build
	}
}
