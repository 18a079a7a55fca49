// Package testbin builds the test binaries and starts them on loopback, for the suites that
// hold a real process to what it answers on the wire (test/conformance, test/proxies): one
// build and one start-up for both, so what one suite holds is what the other serves.
package testbin

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// echoPackage is getsmall with a route that reads bodies (test/cmd/getsmall-echo). It is
// named by import path so that the build works from any folder of the test module.
const echoPackage = "github.com/getsmall/getsmall/test/cmd/getsmall-echo"

// startTimeout bounds how long a binary may take to print its start-up line: it prints it
// in milliseconds, and a hang must fail the test rather than stall it until go test's
// -timeout.
const startTimeout = 10 * time.Second

// Echo builds getsmall-echo as make build builds the server (static, -trimpath) into a
// directory the test removes, and returns its path.
func Echo(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "getsmall-echo")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, echoPackage) //nolint:gosec // into the test's own directory
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build getsmall-echo: %v\n%s", err, out)
	}
	return bin
}

// serving is the start-up line's address: "getsmall ...: serving on 127.0.0.1:PORT (...)".
var serving = regexp.MustCompile(`: serving on (\S+) `)

// Serve starts bin on a loopback port with env as its whole environment, kills it when the
// test ends, and returns the address its start-up line names. The environment is exactly
// env so that a variable of the caller's (a MAX_BODY_BYTES, a PORT) cannot change what is
// tested.
func Serve(t testing.TB, bin string, env ...string) string {
	t.Helper()
	addr, _ := start(t, bin, false, env)
	return addr
}

// ServeMetrics is Serve with the metrics on, on a loopback port of their own: it returns
// the service's address and the metrics'.
func ServeMetrics(t testing.TB, bin string, env ...string) (addr, metrics string) {
	t.Helper()
	return start(t, bin, true, append(env, "METRICS_ADDR=127.0.0.1:0"))
}

// metricsOn is the start-up line that follows serving's when the metrics are on.
var metricsOn = regexp.MustCompile(`: metrics on http://(\S+)/metrics$`)

// start runs bin and reads its start-up lines: the serving line, then the metrics line
// when wantMetrics says the metrics are on.
func start(t testing.TB, bin string, wantMetrics bool, env []string) (addr, metrics string) {
	t.Helper()
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	hung := time.AfterFunc(startTimeout, func() { _ = cmd.Process.Kill() })
	defer hung.Stop()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := serving.FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
		}
		if m := metricsOn.FindStringSubmatch(sc.Text()); m != nil {
			metrics = m[1]
		}
		if addr != "" && (metrics != "" || !wantMetrics) {
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return addr, metrics
		}
	}
	t.Fatalf("%s printed no start-up line within %v", bin, startTimeout)
	return "", ""
}

// FreePort is a loopback port that nothing listens on, for a program that takes its port from
// a flag or a file rather than from port 0. Another process may take it before the program
// does; the program's own error then says so.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// FreeAddr is FreePort's address, 127.0.0.1:PORT.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
}
