package study

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/getsmall/getsmall/loadtest/internal/parse"
	"github.com/getsmall/getsmall/loadtest/internal/report"
)

// syscalls counts the system calls a warmed-up server makes for StraceRequests hey
// requests: strace -c -f attaches to every thread of the running server, hey sends exactly
// that many requests, and strace's summary is read when it detaches.
func (s *Study) syscalls(v *variant) (*report.Syscalls, error) {
	c := &s.cfg
	p, _, err := s.coldStart(v.argv, v.env)
	if err != nil {
		return nil, err
	}
	var sc *report.Syscalls
	err = s.attempt(p, func() error {
		pid := p.cmd.Process.Pid
		if err := s.warmUp(pid); err != nil {
			return err
		}
		out := filepath.Join(c.OutDir, "strace-"+fileName(v.Name)+".txt")
		st := exec.Command(c.Strace, "-c", "-f", "-o", out, "-p", strconv.Itoa(pid)) //nolint:gosec // the study's own tool and file
		stderr, err := st.StderrPipe()
		if err != nil {
			return err
		}
		if err := st.Start(); err != nil {
			return err
		}
		detach := func() error {
			_ = st.Process.Signal(syscall.SIGINT) // strace detaches and writes its summary
			return st.Wait()
		}
		if err := waitAttached(stderr, 10*time.Second); err != nil {
			_ = st.Process.Kill()
			_ = st.Wait()
			return err
		}
		l, err := s.load(pid, s.heyArgs(c.StraceRequests, 0), parse.Hey, s.runLimit()*4)
		if derr := detach(); err == nil && derr != nil && !isInterrupted(derr) {
			err = fmt.Errorf("strace: %w", derr)
		}
		if err != nil {
			return err
		}
		if l.Errors != 0 || l.Non2xx != 0 || l.Requests != c.StraceRequests {
			return fmt.Errorf("hey under strace: %d answers, %d errors, %d non-2xx; want %d clean answers", l.Requests, l.Errors, l.Non2xx, c.StraceRequests)
		}
		b, err := os.ReadFile(out) //nolint:gosec // written by strace just now
		if err != nil {
			return err
		}
		calls, err := parse.Strace(string(b))
		if err != nil {
			return err
		}
		sc = &report.Syscalls{Requests: l.Requests, Calls: calls}
		return nil
	})
	return sc, err
}

// waitAttached reads strace's stderr until it reports the attach, then drains the rest in
// the background.
func waitAttached(r interface{ Read([]byte) (int, error) }, limit time.Duration) error {
	attached := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(r)
		var last string
		for sc.Scan() {
			last = sc.Text()
			if strings.Contains(last, "attached") {
				attached <- nil
				for sc.Scan() { // keep the pipe from filling
				}
				return
			}
		}
		attached <- fmt.Errorf("strace did not attach: %s", last)
	}()
	select {
	case err := <-attached:
		return err
	case <-time.After(limit):
		return errors.New("strace did not attach within " + limit.String())
	}
}

// isInterrupted is strace's exit after the SIGINT that detached it.
func isInterrupted(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee)
}

// fileName turns a variant name into a file name: getsmall-upx --lzma → getsmall-upx-lzma.
func fileName(name string) string {
	f := strings.FieldsFunc(name, func(r rune) bool { return r == ' ' || r == '/' || r == '-' })
	return strings.Join(f, "-")
}
