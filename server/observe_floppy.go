//go:build floppy

package server

import (
	"time"

	"github.com/valyala/fasthttp"
)

// The floppy build leaves the metrics and the access log out: their bytes do not fit a
// floppy beside the server (docs/floppy.md). Asking for them is a usage error there (see
// observable), not a silent no-op. These are the hooks the rest of the package calls,
// doing nothing.
type observer struct{}

// observable says whether this build has metrics and the access log.
const observable = false

func (s *Server) newObserver(*listener) (*observer, error) { return nil, nil }

func (*observer) wrap(next fasthttp.RequestHandler) fasthttp.RequestHandler { return next }
func (*observer) answered(*fasthttp.RequestCtx, time.Duration, bool)        {}
func (*observer) refused(int)                                               {}
func (*observer) refusedOverCap()                                           {}
func (*observer) close(func(string, ...any))                                {}

type scrapeServer struct{}

func (s *Server) serveMetrics() *scrapeServer { return nil }
func (*scrapeServer) stop()                   {}
