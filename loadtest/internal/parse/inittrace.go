package parse

import (
	"errors"
	"regexp"
	"strconv"
)

// Init is one package initialiser as GODEBUG=inittrace=1 reports it.
type Init struct {
	Package string  `json:"package"`
	AtMs    float64 `json:"at_ms"`    // since the process started
	ClockMs float64 `json:"clock_ms"` // wall time of the package's init
	Bytes   int64   `json:"bytes"`    // heap it allocated
	Allocs  int64   `json:"allocs"`
}

var initLine = regexp.MustCompile(`(?m)^init (\S+) @([0-9.]+) ms, ([0-9.]+) ms clock, (\d+) bytes, (\d+) allocs\s*$`)

// InitTrace reads the lines the Go runtime writes to stderr under GODEBUG=inittrace=1 (Go
// 1.16 and later), one per package with an initialiser, in the order they ran. Other lines
// (the server's own start-up line) are skipped.
func InitTrace(stderr string) ([]Init, error) {
	var inits []Init
	for _, m := range initLine.FindAllStringSubmatch(stderr, -1) {
		var in Init
		in.Package = m[1]
		in.AtMs, _ = strconv.ParseFloat(m[2], 64)
		in.ClockMs, _ = strconv.ParseFloat(m[3], 64)
		in.Bytes, _ = strconv.ParseInt(m[4], 10, 64)
		in.Allocs, _ = strconv.ParseInt(m[5], 10, 64)
		inits = append(inits, in)
	}
	if len(inits) == 0 {
		return nil, errors.New("inittrace: no init lines (is it a Go 1.16+ program, started with GODEBUG=inittrace=1?)")
	}
	return inits, nil
}
