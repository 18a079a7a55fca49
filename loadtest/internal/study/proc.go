package study

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/getsmall/getsmall/loadtest/internal/report"
	"github.com/getsmall/getsmall/loadtest/internal/syncbuf"
)

// clockTicks is the kernel's USER_HZ, the unit of utime and stime in /proc/<pid>/stat. It
// is 100 on every Linux architecture Go supports.
const clockTicks = 100

// proc is a server process started for measurement.
type proc struct {
	cmd    *exec.Cmd
	exited chan struct{}
	out    syncbuf.Buffer // its stdout and stderr, for error messages
}

func (p *proc) output() string { return strings.TrimSpace(p.out.String()) }

// start runs argv with env added to the study's environment, on the server CPU when
// pinning. It does not wait for readiness. A server's stdout goes to /dev/null: none of them
// writes anything there but getsmall-log's access log, one line per request, which must
// neither block the server nor pile up in the study's memory. stderr, where every server
// says why it failed, is kept for error messages.
func (s *Study) start(argv, env []string) (*proc, error) {
	p := &proc{cmd: exec.Command(argv[0], argv[1:]...), exited: make(chan struct{})} //nolint:gosec // argv is the study's own list
	p.cmd.Stderr = &p.out
	if len(env) > 0 {
		p.cmd.Env = append(os.Environ(), env...)
	}
	var err error
	if s.cfg.Pin {
		err = startOn(p.cmd, s.cfg.ServerCPU)
	} else {
		err = p.cmd.Start()
	}
	if err != nil {
		return nil, err
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	return p, nil
}

// stop sends SIGTERM and waits for the exit, killing the process after 10 s.
func (p *proc) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return nil
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s ignored SIGTERM for 10 s", p.cmd.Path)
	}
}

// waitHealthy dials addr in a tight loop until GET /health answers 200 and returns how long
// after start that was. No sleep and no curl: each attempt costs microseconds, so the
// measurement is the server's start-up, not the poller's.
func (p *proc) waitHealthy(addr string, started time.Time, limit time.Duration) (time.Duration, error) {
	for {
		if healthy(addr) {
			return time.Since(started), nil
		}
		select {
		case <-p.exited:
			return 0, fmt.Errorf("exited before answering: %s", p.output())
		default:
		}
		if time.Since(started) > limit {
			return 0, fmt.Errorf("no 200 on /health within %v: %s", limit, p.output())
		}
	}
}

var healthRequest = []byte("GET /health HTTP/1.1\r\nHost: loadtest\r\nConnection: close\r\n\r\n")

// healthy reports whether one GET /health on addr answers 200.
func healthy(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write(healthRequest); err != nil {
		return false
	}
	var status [12]byte
	if _, err := io.ReadFull(c, status[:]); err != nil {
		return false
	}
	return string(status[9:12]) == "200"
}

// rss reads the resident memory of pid, split by kind, from /proc.
func rss(pid int) (report.RSS, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return report.RSS{}, err
	}
	defer f.Close()
	var r report.RSS
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.Atoi(fields[1])
		switch fields[0] {
		case "RssAnon:":
			r.AnonKB = kb
		case "RssFile:":
			r.FileKB = kb
		case "RssShmem:":
			r.ShmemKB = kb
		}
	}
	if r.Total() == 0 {
		return r, fmt.Errorf("no Rss lines in /proc/%d/status", pid)
	}
	return r, sc.Err()
}

// cpuSeconds reads user + system CPU time of pid from /proc/<pid>/stat.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// parseStatCPU takes utime and stime, fields 14 and 15 of /proc/<pid>/stat. The command
// name (field 2) may hold spaces and parentheses, so fields are counted after its last ')'.
func parseStatCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("malformed utime/stime in /proc stat")
	}
	return float64(utime+stime) / clockTicks, nil
}

// childCPU is the CPU time an exited child used.
func childCPU(ps *os.ProcessState) float64 {
	return (ps.UserTime() + ps.SystemTime()).Seconds()
}

// maxRSSKB is the peak resident memory of an exited child.
func maxRSSKB(ps *os.ProcessState) int {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return int(ru.Maxrss)
	}
	return 0
}
