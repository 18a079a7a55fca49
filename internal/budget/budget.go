// Package budget reads budgets.txt, the one list of what the template promises: bytes of
// each binary and image, allocations per request, idle memory, cold start. The tests that
// measure each of these hold the measurement to its line there, and a failure says the
// budget, the measured value, and the file and line to change when a fork grows on purpose.
// It is imported by tests only.
package budget

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Budget is one line of the file: a name, the most a measurement may be, and where it is
// written.
type Budget struct {
	Name  string
	Max   int64
	Unit  string // what Max counts: the name's last word (bytes, ms), or its first before "-per-" (allocs)
	File  string
	Line  int
	About string // the line's comment: what measures it
}

// Set is every budget of a file, by name.
type Set map[string]Budget

// Load reads a budgets file: one "NAME MAX [# comment]" per line, MAX an integer that may
// use Go's digit separators (6_500_000); blank lines and lines starting with # are skipped.
func Load(path string) (Set, error) {
	data, err := os.ReadFile(path) //nolint:gosec // the caller's budgets file
	if err != nil {
		return nil, err
	}
	set := Set{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		text, about, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(text)
		switch {
		case len(fields) == 0:
			continue
		case len(fields) != 2:
			return nil, fmt.Errorf("%s:%d: want NAME MAX [# comment], got %q", path, n, sc.Text())
		}
		limit, err := strconv.ParseInt(fields[1], 0, 64)
		if err != nil || limit < 0 {
			return nil, fmt.Errorf("%s:%d: %s: %q is not a count", path, n, fields[0], fields[1])
		}
		if prev, ok := set[fields[0]]; ok {
			return nil, fmt.Errorf("%s:%d: %s is already on line %d", path, n, fields[0], prev.Line)
		}
		unit := fields[0][strings.LastIndexByte(fields[0], '-')+1:]
		if what, _, ok := strings.Cut(fields[0], "-per-"); ok {
			unit = what
		}
		set[fields[0]] = Budget{Name: fields[0], Max: limit, Unit: unit, File: path, Line: n, About: strings.TrimSpace(about)}
	}
	return set, sc.Err()
}

// Get returns the budget called name, or an error saying where to add it.
func (s Set) Get(name string) (Budget, error) {
	b, ok := s[name]
	if !ok {
		file := "budgets.txt"
		for _, other := range s {
			file = other.File
			break
		}
		return Budget{}, fmt.Errorf("no budget %s in %s: add a line \"%s MAX\" for it", name, file, name)
	}
	return b, nil
}

// Check returns nil when measured is within the budget, and otherwise an error with the
// budget, the measured value, by how much it is over, and the line to change.
func (b Budget) Check(measured int64) error {
	if measured <= b.Max {
		return nil
	}
	return fmt.Errorf("%s: measured %s %s, over its budget of %s by %s (%.1f%%): "+
		"if this growth is on purpose, raise the budget on %s:%d and say why in the commit",
		b.Name, group(measured), b.Unit, group(b.Max), group(measured-b.Max),
		100*float64(measured-b.Max)/float64(max(b.Max, 1)), b.File, b.Line)
}

// group writes n with thousands separators, as the docs' tables do.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
