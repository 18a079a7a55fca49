// Package soak measures getsmall's memory and holds it to its limits: what one connection
// costs in each state, in the process and in its container (memcost), and whether millions of
// mixed requests leave memory, goroutines and file descriptors where they started (the
// soak). Everything here talks to a real server over loopback only.
package soak

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/getsmall/getsmall/internal/rawhttp"
	"github.com/getsmall/getsmall/loadtest/internal/syncbuf"
	"github.com/getsmall/getsmall/memlimit"
)

// Target is a running getsmall, as a process of its own or inside a container.
type Target struct {
	Name   string
	Addr   string // 127.0.0.1:port
	Pid    int    // on this host
	cgroup *memlimit.Cgroup
	cmd    *exec.Cmd // a process
	exited chan struct{}
	out    *syncbuf.Buffer
	docker string // a container: the client and the container's name
	name   string
}

// StartProcess runs binary on addr with env added to this process's environment.
func StartProcess(name, binary, addr string, env []string) (*Target, error) {
	return StartCommand(name, []string{binary}, addr, env)
}

// StartCommand runs argv, a server that listens on addr (getsmall reads ADDR from env; other
// servers take it in argv), with env added to this process's environment.
func StartCommand(name string, argv []string, addr string, env []string) (*Target, error) {
	t := &Target{Name: name, Addr: addr, cmd: exec.Command(argv[0], argv[1:]...), exited: make(chan struct{}), out: new(syncbuf.Buffer)} //nolint:gosec // the caller's server
	t.cmd.Env = append(append(os.Environ(), "ADDR="+addr), env...)
	t.cmd.Stdout, t.cmd.Stderr = t.out, t.out
	if err := t.cmd.Start(); err != nil {
		return nil, err
	}
	t.Pid = t.cmd.Process.Pid
	go func() { _ = t.cmd.Wait(); close(t.exited) }()
	return t, t.waitHealthy()
}

// StartContainer runs image tag through `make docker-run` in repo, as docs/images.md tells
// users to (read-only, no capabilities, --memory 16m), on the host network and addr, with
// env set in the container and extra docker run flags.
func StartContainer(name, repo, docker, tag, addr string, env, flags []string) (*Target, error) {
	t := &Target{Name: name, Addr: addr, docker: docker, name: "getsmall-memcost-" + strings.ReplaceAll(addr, ":", "-")}
	_ = exec.Command(docker, "rm", "-f", t.name).Run() //nolint:gosec // a name this package made
	publish := "--network host -e ADDR=" + addr
	if len(env) > 0 {
		publish += " -e " + strings.Join(env, " -e ")
	}
	run := exec.Command("make", "-s", "-C", repo, "docker-run", "DOCKER="+docker, "RUN_TAG="+tag, //nolint:gosec // the caller's image
		"DOCKER_RUN_PUBLISH="+publish, "DOCKER_RUN_FLAGS=-d --name "+t.name+" "+strings.Join(flags, " "))
	run.Env = cleanMakeEnv()
	if out, err := run.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("make docker-run: %w: %s", err, out)
	}
	pid, err := t.inspect("{{.State.Pid}}")
	if err != nil {
		return nil, err
	}
	if t.Pid, err = strconv.Atoi(pid); err != nil || t.Pid == 0 {
		return nil, fmt.Errorf("container %s: no pid (%q)", t.name, pid)
	}
	cg, err := memlimit.Find("/", strconv.Itoa(t.Pid))
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", t.name, err)
	}
	t.cgroup = &cg
	return t, t.waitHealthy()
}

// cleanMakeEnv drops the variables of a make that runs this program, so the inner make
// neither joins a jobserver it cannot reach nor inherits command-line variables.
func cleanMakeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES":
		default:
			env = append(env, kv)
		}
	}
	return env
}

func (t *Target) inspect(format string) (string, error) {
	out, err := exec.Command(t.docker, "inspect", "-f", format, t.name).CombinedOutput() //nolint:gosec // a name this package made
	if err != nil {
		return "", fmt.Errorf("docker inspect %s: %w: %s", t.name, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// Container reports whether the target runs in a container.
func (t *Target) Container() bool { return t.docker != "" }

// Log returns what the server wrote to stderr so far.
func (t *Target) Log() string {
	if t.Container() {
		out, _ := exec.Command(t.docker, "logs", t.name).CombinedOutput() //nolint:gosec // a name this package made
		return strings.TrimSpace(string(out))
	}
	return strings.TrimSpace(t.out.String())
}

// Alive reports whether the server is still running; for a container, also whether the
// kernel's OOM killer ended it.
func (t *Target) Alive() (alive, oomKilled bool) {
	if !t.Container() {
		select {
		case <-t.exited:
			return false, false
		default:
			return true, false
		}
	}
	s, err := t.inspect("{{.State.Running}} {{.State.OOMKilled}}")
	if err != nil {
		return false, false // docker-run passes --rm: a dead container is gone
	}
	return strings.HasPrefix(s, "true"), strings.HasSuffix(s, "true")
}

// Stop ends the server: SIGTERM, then SIGKILL after 10 s.
func (t *Target) Stop() {
	if t.Container() {
		_ = exec.Command(t.docker, "rm", "-f", t.name).Run() //nolint:gosec // a name this package made
		return
	}
	_ = t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.exited:
	case <-time.After(10 * time.Second):
		_ = t.cmd.Process.Kill()
		<-t.exited
	}
}

// Signal sends sig to a process target and waits up to bound for its exit.
func (t *Target) Signal(sig syscall.Signal, bound time.Duration) error {
	if t.Container() {
		return errors.New("signal: only for process targets")
	}
	_ = t.cmd.Process.Signal(sig)
	select {
	case <-t.exited:
		return nil
	case <-time.After(bound):
		return fmt.Errorf("%s did not exit within %v of %v", t.Name, bound, sig)
	}
}

// waitHealthy polls GET /health until 200, for at most 10 s.
func (t *Target) waitHealthy() error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if status, err := Get(t.Addr, "/health", time.Second); err == nil && status == 200 {
			return nil
		}
		if alive, _ := t.Alive(); !alive {
			return fmt.Errorf("%s exited: %s", t.Name, t.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s: no 200 on /health within 10 s: %s", t.Name, t.Log())
}

// Get sends one GET on a new connection and returns the status code.
func Get(addr, path string, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")); err != nil {
		return 0, err
	}
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if n < 12 {
		return 0, fmt.Errorf("short status line %q: %w", buf[:n], err)
	}
	return rawhttp.StatusOf(buf[:n])
}
