//go:build !floppy

package cli

import (
	"runtime"

	"github.com/getsmall/getsmall/metrics"
)

// newRegistry is where the routes' measurements and the server's go, with the build's own
// figure.
func newRegistry(build Build) *metrics.Registry {
	reg := metrics.NewRegistry()
	reg.Gauge(name+"_build_info", "The build: always 1, its labels say which.", func() float64 { return 1 },
		"version", build.Version, "commit", build.Commit, "goversion", runtime.Version(), "fasthttp", moduleVersion("github.com/valyala/fasthttp"))
	return reg
}
