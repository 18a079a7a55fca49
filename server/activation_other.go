//go:build !unix

package server

import "net"

// Inherited returns nil: socket activation passes a descriptor, which only Unix systems do.
func Inherited(func(string) (string, bool), int) (net.Listener, error) { return nil, nil }
