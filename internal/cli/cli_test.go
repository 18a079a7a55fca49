package cli

import (
	"net"
	"strings"
	"testing"

	"github.com/getsmall/getsmall/router"
	"github.com/valyala/fasthttp"
)

// run calls Run in-process and returns the exit code, stdout and stderr.
func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code := Run(args, lookup, &stdout, &stderr, Build{Version: "v1.2.3", Commit: "abc123", Date: "2026-01-02T03:04:05Z"})
	return code, stdout.String(), stderr.String()
}

// oneLine fails unless s is exactly one line.
func oneLine(t *testing.T, s string) {
	t.Helper()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("want exactly one line, got %q", s)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	code, out, errOut := run(t, nil, "version")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"getsmall v1.2.3\n", "commit    abc123\n", "built     2026-01-02T03:04:05Z\n", "go        go1.", "\nfasthttp  "} {
		if !strings.Contains(out, want) {
			t.Errorf("version output lacks %q:\n%s", want, out)
		}
	}
	// The fasthttp version itself comes from the linker's build information, which test
	// binaries lack; the process tests check it on the real binary.
	if code, _, _ := run(t, nil, "version", "extra"); code != 2 {
		t.Errorf("version extra: exit %d, want 2", code)
	}
}

func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-h"}, {"serve", "-help"}, {"healthcheck", "-h"}, {"version", "-h"}} {
		code, out, errOut := run(t, nil, args...)
		if code != 0 || !strings.HasPrefix(out, "Usage: getsmall") || errOut != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		env  map[string]string
		args []string
		want string
	}{
		"bad flag":             {args: []string{"-idle-timeout", "forever"}, want: `-idle-timeout`},
		"bad env":              {env: map[string]string{"MAX_CONNS": "-5"}, want: `"-5" for environment variable MAX_CONNS`},
		"unknown command":      {args: []string{"start"}, want: `unexpected argument "start"`},
		"healthcheck bad PORT": {env: map[string]string{"PORT": "x"}, args: []string{"healthcheck"}, want: `"x" for environment variable PORT`},
		"healthcheck bad flag": {args: []string{"healthcheck", "-timeout=1s"}, want: `-timeout`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, tc.env, tc.args...)
			if code != 2 || out != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", code, out)
			}
			oneLine(t, errOut)
			if !strings.HasPrefix(errOut, "getsmall: ") || !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q, want %q in it", errOut, tc.want)
			}
		})
	}
}

func TestPortInUseExitsOne(t *testing.T) {
	t.Parallel()
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	code, _, errOut := run(t, nil, "-addr", held.Addr().String())
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if want := "getsmall: listen on " + held.Addr().String() + ": address already in use\n"; errOut != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
}

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	drain := new(router.Drain)
	srv := &fasthttp.Server{Handler: router.New(router.Options{Drain: drain}).Handler}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	addr := ln.Addr().String()
	_, port, _ := net.SplitHostPort(addr)

	code, out, errOut := run(t, map[string]string{"PORT": port}, "healthcheck")
	if code != 0 || out != "healthy: http://127.0.0.1:"+port+"/health answered 200\n" || errOut != "" {
		t.Errorf("healthcheck with PORT: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, _ := run(t, nil, "healthcheck", "-url", "http://"+addr+"/health"); code != 0 {
		t.Errorf("healthcheck -url: exit %d, want 0", code)
	}
	// Draining answers 503 to a probe, which opens a new connection: the probe fails, which
	// is what takes a container out of rotation.
	drain.Start()
	code, _, errOut = run(t, nil, "healthcheck", "-addr", addr)
	if code != 1 || !strings.Contains(errOut, "status 503") {
		t.Errorf("healthcheck while draining: exit %d, stderr %q", code, errOut)
	}
	oneLine(t, errOut)
}
