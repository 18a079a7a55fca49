package parse

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Syscall is one row of `strace -c`: how often a system call was made and how often it
// failed (EAGAIN included: a non-blocking read that finds nothing counts as an error).
type Syscall struct {
	Name   string `json:"name"`
	Calls  int    `json:"calls"`
	Errors int    `json:"errors"`
}

// Strace parses the summary table `strace -c` writes (strace 5.x and 6.x): a header, a
// dashed rule, one row per system call with an optional errors column, another rule and a
// total row, which is left out.
func Strace(out string) ([]Syscall, error) {
	var calls []Syscall
	header := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		switch {
		case len(f) == 0 || strings.HasPrefix(f[0], "---"):
			continue
		case f[0] == "%" && f[len(f)-1] == "syscall":
			header = true
			continue
		case !header || f[len(f)-1] == "total":
			continue // strace's own messages before the table, and the total row
		}
		if len(f) != 5 && len(f) != 6 {
			return nil, fmt.Errorf("strace: unexpected row %q", line)
		}
		n, err := strconv.Atoi(f[3])
		if err != nil {
			return nil, fmt.Errorf("strace: calls in %q: %w", line, err)
		}
		s := Syscall{Name: f[len(f)-1], Calls: n}
		if len(f) == 6 {
			if s.Errors, err = strconv.Atoi(f[4]); err != nil {
				return nil, fmt.Errorf("strace: errors in %q: %w", line, err)
			}
		}
		calls = append(calls, s)
	}
	if !header {
		return nil, errors.New("strace: no summary table (was strace run with -c?)")
	}
	return calls, sc.Err()
}
