//go:build floppy

package server

import "errors"

// HasPlaces says this build keeps places in a request (places.go). The floppy build leaves
// them out for their 5 KB: its memory limit derives one cap, every connection priced as
// the costliest, as before the places (docs/memory.md).
const HasPlaces = false

// places are none in this build: newPlaces always returns nil.
type places struct{}

func newPlaces(int) *places { return nil }

// keepPlace, awaitPlace and givePlace have nothing to hold.
func (c *conn) keepPlace() bool   { return true }
func (c *conn) awaitPlace() error { return nil }
func (c *conn) givePlace()        {}

// errNoPlace is never returned in this build.
var errNoPlace = errors.New("no place in a request came free")

// readable reports false: a connection kicked just as its request came parks, and its
// parked wait reads the request (a peek's system call costs the floppy build 1 KB).
func (c *conn) readable() bool { return false }
