// Command sockact measures what a device pays for a socket-activated start: systemd holds
// the listening socket, the first connection makes it start the binary, and the client
// waits for the binary to unpack itself (UPX), start Go's runtime, take the socket and
// answer. Each run starts systemd-socket-activate (Debian's systemd package: the same
// descriptor passing as a .socket unit) on a fresh loopback port, waits until it listens,
// then times connect, GET /health and the status line. Only main calls os.Exit.
//
//	sockact [-runs 20] [-activate PATH] NAME=BINARY...
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sockact", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 20, "activations per binary")
	activate := fs.String("activate", "systemd-socket-activate", "systemd-socket-activate, from Debian's systemd package")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 || *runs < 1 {
		fmt.Fprintln(stderr, "sockact: want -runs >= 1 and at least one NAME=BINARY")
		return 2
	}
	if _, err := exec.LookPath(*activate); err != nil {
		fmt.Fprintf(stderr, "sockact: %s not found: apt-get install systemd\n", *activate)
		return 1
	}
	fmt.Fprintf(stdout, "| binary | bytes | first answer ms: min / p50 / p95 / max (%d runs) |\n|---|---:|---|\n", *runs)
	for _, arg := range fs.Args() {
		name, bin, ok := strings.Cut(arg, "=")
		fi, err := os.Stat(bin)
		if !ok || err != nil {
			fmt.Fprintf(stderr, "sockact: %q: want NAME=BINARY of an existing file\n", arg)
			return 2
		}
		var ms []float64
		for range *runs {
			d, err := once(*activate, bin)
			if err != nil {
				fmt.Fprintf(stderr, "sockact: %s: %v\n", name, err)
				return 1
			}
			ms = append(ms, float64(d.Microseconds())/1000)
		}
		slices.Sort(ms)
		q := func(p float64) float64 { return ms[int(p*float64(len(ms)-1)+0.5)] }
		fmt.Fprintf(stdout, "| %s | %d | %.1f / %.1f / %.1f / %.1f |\n", name, fi.Size(), ms[0], q(0.5), q(0.95), ms[len(ms)-1])
	}
	return 0
}

// once activates bin once and returns the time from connect to the status line.
func once(activate, bin string) (time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(activate, "-l", addr, bin) //nolint:gosec // the tool and the binary the caller names
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	// It says when it listens; a probe connection would itself start the binary.
	listening := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "Listening on ") {
				listening <- true
			}
		}
		close(listening)
	}()
	select {
	case ok := <-listening:
		if !ok {
			return 0, errors.New("systemd-socket-activate exited before listening")
		}
	case <-time.After(5 * time.Second):
		return 0, errors.New("systemd-socket-activate did not listen within 5 s")
	}
	start := time.Now()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(start.Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET /health HTTP/1.1\r\nHost: sockact\r\nConnection: close\r\n\r\n"); err != nil {
		return 0, err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	took := time.Since(start)
	switch {
	case err != nil:
		return 0, fmt.Errorf("first answer %q, want 200: %w", line, err)
	case !strings.HasPrefix(line, "HTTP/1.1 200 "):
		return 0, fmt.Errorf("first answer %q, want 200", line)
	}
	return took, nil
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
