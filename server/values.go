package server

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// The flag.Value types of the settings: each parses one kind of value and refuses what
// the server must not be given, with the reason in words.

// durationValue is a time.Duration flag that refuses negative values and, unless zeroOK,
// zero: a zero timeout means "unlimited" to fasthttp.
type durationValue struct {
	p      *time.Duration
	zeroOK bool
}

func (d durationValue) String() string {
	if d.p == nil {
		return ""
	}
	return d.p.String()
}

func (d durationValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return errors.New("not a duration (examples: 500ms, 5s, 1m)")
	case v < 0:
		return errors.New("must not be negative")
	case v == 0 && !d.zeroOK:
		return errors.New("must be greater than zero")
	}
	*d.p = v
	return nil
}

// intValue is an int flag bounded to [min, max].
type intValue struct {
	p        *int
	min, max int
}

func (n intValue) String() string {
	if n.p == nil {
		return ""
	}
	return strconv.Itoa(*n.p)
}

func (n intValue) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("not an integer")
	}
	if v < n.min || v > n.max {
		return fmt.Errorf("must be between %d and %d", n.min, n.max)
	}
	*n.p = v
	return nil
}

// connsValue is -max-conns: an intValue that shows "auto" until set, because the serve
// command then derives it.
type connsValue struct {
	intValue
	set *bool
}

func (v connsValue) String() string {
	if v.set != nil && !*v.set {
		return "auto"
	}
	return v.intValue.String()
}

func (v connsValue) Set(s string) error {
	if err := v.intValue.Set(s); err != nil {
		return err
	}
	*v.set = true
	return nil
}

// addrValue is a host:port listen address. The host may be empty (all interfaces), a name
// or an IP literal ([::1] for IPv6); the port must be a number, 0 picks a free one.
type addrValue struct{ p *string }

func (a addrValue) String() string {
	if a.p == nil {
		return ""
	}
	return *a.p
}

func (a addrValue) Set(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return errors.New("want host:port, for example :8080 or [::1]:8080")
	}
	if err := checkPort(port); err != nil {
		return err
	}
	*a.p = s
	return nil
}

// errNotObservable refuses -metrics-addr and -log-requests in the floppy build.
var errNotObservable = errors.New("the floppy build leaves metrics and the access log out (docs/floppy.md)")

// metricsAddr is an addrValue that may be empty, which turns the metrics off.
type metricsAddr struct{ addrValue }

func (a metricsAddr) Set(s string) error {
	switch {
	case s == "":
		*a.p = ""
		return nil
	case !observable:
		return errNotObservable
	}
	return a.addrValue.Set(s)
}

// logValue is -log-requests: a boolValue the floppy build refuses to turn on.
type logValue struct{ boolValue }

func (v logValue) Set(s string) error {
	if err := v.boolValue.Set(s); err != nil || !*v.p || observable {
		return err
	}
	*v.p = false
	return errNotObservable
}

// boolValue is an on/off flag: -log-requests alone, or 1, 0, true, false.
type boolValue struct{ p *bool }

func (b boolValue) String() string {
	if b.p == nil {
		return ""
	}
	return strconv.FormatBool(*b.p)
}

func (b boolValue) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want 1, 0, true or false")
	}
	*b.p = v
	return nil
}

// IsBoolFlag lets the flag stand alone on the command line.
func (boolValue) IsBoolFlag() bool { return true }

func checkPort(s string) error {
	if p, err := strconv.Atoi(s); err != nil || p < 0 || p > 65535 {
		return errors.New("want a port number from 0 to 65535")
	}
	return nil
}
