//go:build floppy

package cli

import "github.com/getsmall/getsmall/metrics"

// newRegistry is nil in the floppy build, which leaves the metrics out: the routes'
// measurements count into nothing that is served.
func newRegistry(Build) *metrics.Registry { return nil }
