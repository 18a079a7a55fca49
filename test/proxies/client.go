//go:build proxies

package proxies

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/getsmall/getsmall/internal/rawhttp"
)

// What a client sends and waits for. Every answer here takes milliseconds; a proxy that
// waits for more of an ambiguous request is recorded as such after answerWait, not waited
// for.
const (
	get        = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
	healthOK   = `{"status":"ok"}`
	tooLarge   = "413 content too large\n"
	dialWait   = 2 * time.Second
	answerWait = 3 * time.Second
	moreWait   = 300 * time.Millisecond // for answers after the first (a pipelined remainder)
	// continueWait is how long a client that sent "Expect: 100-continue" waits for the 100
	// before it sends the body anyway, as curl does after a second.
	continueWait = time.Second
)

// result is what one client connection got through a proxy: its final answers in order,
// the interim ones, and how the reading ended when it did not end with an answer.
type result struct {
	answers []rawhttp.Answer
	interim []int
	end     string // "" after the answers the caller waited for; "closed", "reset", "no answer in 3s", ...
}

// ok says the connection got exactly one answer, 200 {"status":"ok"}: the real /health.
func (r result) ok() bool {
	return len(r.answers) == 1 && r.answers[0].Status == 200 && r.answers[0].Body == healthOK
}

// statuses is "400" or "200, 404", "none" without an answer.
func (r result) statuses() string {
	if len(r.answers) == 0 {
		return "none"
	}
	var s []string
	for _, a := range r.answers {
		s = append(s, strconv.Itoa(a.Status))
	}
	return strings.Join(s, ", ")
}

// String is the result as the results table shows it: statuses, the last body (shortened)
// and how the connection ended, when it ended otherwise.
func (r result) String() string {
	s := r.statuses()
	if n := len(r.answers); n > 0 {
		body := r.answers[n-1].Body
		if len(body) > 30 {
			body = fmt.Sprintf("%s... (%d bytes)", body[:12], len(body))
		}
		s += fmt.Sprintf(" %q", body)
	}
	if len(r.interim) > 0 {
		s = fmt.Sprint(r.interim) + " " + s
	}
	if r.end != "" {
		s += ", " + r.end
	}
	return s
}

// exchange sends raw on a new connection to addr and reads the first answer; with more, it
// also reads whatever else arrives within moreWait (a proxy may answer what it took for a
// pipelined request). The connection is closed afterwards.
func exchange(addr, raw string, more bool) result {
	c, br, err := dial(addr)
	if err != nil {
		return result{end: err.Error()}
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		return result{end: "write: " + ended(err)}
	}
	return readAnswers(c, br, more)
}

// expectContinue sends head (which asks for a 100) on a new connection, waits up to
// continueWait for the 100, sends body either way, and reads the answer.
func expectContinue(addr, head, body string) result {
	c, br, err := dial(addr)
	if err != nil {
		return result{end: err.Error()}
	}
	defer c.Close()
	if _, err := io.WriteString(c, head); err != nil {
		return result{end: "write: " + ended(err)}
	}
	_ = c.SetReadDeadline(time.Now().Add(continueWait))
	line, err := br.ReadString('\n')
	if status, _ := rawhttp.StatusOf([]byte(line)); status != 100 && (err == nil || len(line) > 0) {
		// A final answer instead of the 100 (a refusal): read it whole, status line first,
		// and send no body.
		r := readAnswers(c, bufio.NewReader(io.MultiReader(strings.NewReader(line), br)), false)
		if r.end == "" && len(r.answers) == 0 {
			r.end = ended(err)
		}
		return r
	}
	var interim []int
	if err == nil { // the 100: skip the rest of its head
		interim = []int{100}
		for err == nil && line != "\r\n" {
			line, err = br.ReadString('\n')
		}
	}
	if _, err := io.WriteString(c, body); err != nil {
		return result{interim: interim, end: "write: " + ended(err)}
	}
	r := readAnswers(c, br, false)
	r.interim = append(interim, r.interim...)
	return r
}

func dial(addr string) (net.Conn, *bufio.Reader, error) {
	c, err := net.DialTimeout("tcp", addr, dialWait)
	if err != nil {
		return nil, nil, err
	}
	return c, bufio.NewReader(c), nil
}

// readAnswers reads the first answer within answerWait and, with more, the next ones within
// moreWait each.
func readAnswers(c net.Conn, br *bufio.Reader, more bool) result {
	var r result
	wait := answerWait
	for {
		_ = c.SetReadDeadline(time.Now().Add(wait))
		a, err := rawhttp.Read(br, false)
		if err != nil {
			if len(r.answers) == 0 || !isTimeout(err) {
				r.end = ended(err)
			}
			return r
		}
		r.answers, r.interim = append(r.answers, a), append(r.interim, a.Interim...)
		if !more || a.Close {
			return r
		}
		wait = moreWait
	}
}

// ended says how a read or write ended, in the results' words.
func ended(err error) string {
	switch {
	case errors.Is(err, io.EOF):
		return "closed"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case isTimeout(err):
		return fmt.Sprintf("no answer in %v", answerWait)
	case errors.Is(err, rawhttp.ErrMalformed), errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed: " + err.Error()
	}
	return err.Error()
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
