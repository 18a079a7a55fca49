// Command soak holds getsmall to its memory model. "soak memcost" measures what one
// connection costs in each state, in the process and in its container; "soak run" (the
// default) runs millions of mixed requests and checks that memory, goroutines and file
// descriptors come back to where they started.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/getsmall/getsmall/loadtest/internal/nginx"
	"github.com/getsmall/getsmall/loadtest/internal/soak"
	"github.com/getsmall/getsmall/loadtest/internal/syspath"
)

func main() {
	args := os.Args[1:]
	cmd := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "run":
		err = run(args)
	case "memcost":
		err = memcost(args)
	default:
		err = fmt.Errorf("unknown command %q (memcost, run)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("soak run", flag.ContinueOnError)
	bin := fs.String("getsmall", "bin/getsmall", "the binary to soak")
	requests := fs.Int64("requests", 3_000_000, "stop after this many answers")
	duration := fs.Duration("duration", 10*time.Minute, "or after this long")
	keepAlive := fs.Int("keepalive", 8, "pipelining keep-alive clients")
	churn := fs.Int("churn", 2, "clients that open a connection per request")
	slow := fs.Int("slow", 32, "clients that send a byte every 200 ms")
	malformed := fs.Int("malformed", 2, "clients that send garbage, smuggling shapes and oversized requests")
	settle := fs.Duration("settle", 25*time.Second, "idle time before the final checks (fasthttp expires idle workers after 10 s, checked every 10 s)")
	port := fs.Int("port", 18920, "port on 127.0.0.1 (the idle twin uses the next)")
	out := fs.String("out", "results/soak", "results directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *requests <= 0 || *duration <= 0 || *settle < 0 {
		return errors.New("-requests and -duration must be positive, -settle not negative")
	}
	r, err := soak.Run(soak.Config{
		Binary: *bin, Port: *port, Requests: *requests, Duration: *duration, Every: time.Second, Settle: *settle, Log: os.Stderr,
		Mix: soak.Mix{KeepAlive: *keepAlive, Churn: *churn, Slow: *slow, Malformed: *malformed},
	})
	if err != nil {
		return err
	}
	dir, err := r.Write(*out)
	if err != nil {
		return err
	}
	fmt.Print(r.Markdown())
	fmt.Fprintln(os.Stderr, "soak: report in", dir)
	if len(r.Problems) > 0 {
		return errors.New(strings.Join(r.Problems, "; "))
	}
	return nil
}

func memcost(args []string) error {
	fs := flag.NewFlagSet("soak memcost", flag.ContinueOnError)
	bin := fs.String("getsmall", "bin/getsmall", "plain binary")
	upx := fs.String("getsmall-upx", "bin/getsmall-upx", "UPX-packed binary (empty: skip)")
	tag := fs.String("tag", "", "image tag of getsmall to measure in a container (empty: no containers)")
	docker := fs.String("docker", "docker", "docker client")
	n := fs.Int("conns", 400, "connections held at the last step, by a process")
	nc := fs.Int("container-conns", 200, "connections held at the last step, in a container (the UPX image holds about 300 in 16 MiB)")
	only := fs.String("only", "", "measure only the variants whose name contains this")
	port := fs.Int("port", 18901, "port on 127.0.0.1")
	out := fs.String("out", "results/memcost", "results directory")
	repo := fs.String("repo", "..", "the repository root, where `make docker-run` starts the images")
	header := fs.Int("max-header-bytes", 4096, "the server's MAX_HEADER_BYTES")
	body := fs.Int("max-body-bytes", 4096, "the server's MAX_BODY_BYTES")
	idleConns := fs.Int("idle-conns", 10000, "idle keep-alive connections each server holds in the side-by-side comparison (0: skip it)")
	idleTimeout := fs.Duration("idle-timeout", 120*time.Second, "every server's idle timeout in the comparison, longer than it lasts")
	before := fs.String("before", "", "another getsmall binary for the comparison, as getsmall-before (e.g. an older commit's)")
	var peers []string
	for _, p := range []string{"nethttp", "fasthttp", "nbio"} {
		peers = append(peers, p)
		fs.String(p, "", "the "+p+" peer binary for the comparison (empty: not measured)")
	}
	nginxBin := fs.String("nginx", syspath.Look("nginx"), "nginx for the comparison (empty: not measured)")
	shapes := fs.Bool("shapes", true, "measure getsmall's connection states too, as a process and (with -tag) in both images")
	if err := fs.Parse(args); err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(*port)
	m := &soak.Memcost{Baselines: map[string]soak.Sample{}}
	if *idleConns > 0 {
		servers := idleServers(fs, *bin, *before, *nginxBin, addr, *idleConns, *idleTimeout, peers, *out)
		var err error
		if m.Idle, err = soak.RunIdle(soak.IdleConfig{Servers: servers, Conns: *idleConns, Addr: addr, Settle: 2 * time.Second, Log: os.Stderr}); err != nil {
			return err
		}
	}
	lim := soak.Limits{HeaderBytes: *header, BodyBytes: *body}
	if !*shapes {
		fmt.Print(m.Markdown(lim))
		dir, err := m.Write(*out, lim)
		fmt.Fprintln(os.Stderr, "soak memcost: report in", dir)
		return err
	}
	vs := []soak.Variant{{Name: "plain process", Binary: *bin}}
	if *upx != "" {
		vs = append(vs, soak.Variant{Name: "upx process", Binary: *upx})
	}
	if *tag != "" {
		vs = append(vs, soak.Variant{Name: "plain container", Tag: *tag, Container: true},
			soak.Variant{Name: "upx container", Tag: *tag + "-upx", Container: true})
	}
	var chosen []soak.Variant
	for _, v := range vs {
		if strings.Contains(v.Name, *only) {
			chosen = append(chosen, v)
		}
	}
	cfg := soak.MemcostConfig{
		Repo: *repo, Docker: *docker, Variants: chosen, Shapes: soak.Shapes,
		Steps: []int{0, *n / 4, *n / 2, *n * 3 / 4, *n}, ContainerSteps: []int{0, *nc / 4, *nc / 2, *nc * 3 / 4, *nc},
		Limits: soak.Limits{HeaderBytes: *header, BodyBytes: *body}, Port: *port, Settle: time.Second, Log: os.Stderr,
	}
	shaped, err := soak.RunMemcost(cfg)
	if err != nil {
		return err
	}
	m.Baselines, m.Costs, m.Probes = shaped.Baselines, shaped.Costs, shaped.Probes
	fmt.Print(m.Markdown(cfg.Limits))
	dir, err := m.Write(*out, cfg.Limits)
	fmt.Fprintln(os.Stderr, "soak memcost: report in", dir)
	return err
}

// idleServers lists the servers of the side-by-side comparison, each on one core
// (GOMAXPROCS=1; nginx with one worker) with the same idle timeout and no connection cap
// below what it must hold.
func idleServers(fs *flag.FlagSet, getsmall, before, nginxBin, addr string, conns int, idle time.Duration, peers []string, out string) []soak.IdleServer {
	product := func(name, bin string) soak.IdleServer {
		return soak.IdleServer{Name: name, Argv: []string{bin}, Env: []string{"GOMAXPROCS=1", "IDLE_TIMEOUT=" + idle.String(), "MAX_CONNS=" + strconv.Itoa(conns*2)}}
	}
	servers := []soak.IdleServer{product("getsmall", getsmall)}
	if before != "" {
		servers = append(servers, product("getsmall-before", before))
	}
	for _, p := range peers {
		if bin := fs.Lookup(p).Value.String(); bin != "" {
			name := map[string]string{"nethttp": "net/http"}[p]
			if name == "" {
				name = p
			}
			servers = append(servers, soak.IdleServer{Name: name, Argv: []string{bin, "-addr", addr, "-idle-timeout", idle.String()}, Env: []string{"GOMAXPROCS=1"}})
		}
	}
	if nginxBin != "" {
		abs, _ := filepath.Abs(filepath.Join(out, "nginx"))
		argv, err := nginx.Conf{Dir: abs, Addr: addr, Connections: conns + 64, KeepAlive: idle}.Write(nginxBin)
		if err == nil {
			servers = append(servers, soak.IdleServer{Name: "nginx", Argv: argv})
		} else {
			fmt.Fprintln(os.Stderr, "soak memcost: nginx not measured:", err)
		}
	}
	return servers
}
