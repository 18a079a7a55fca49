//go:build floppy

package router

// New returns the Router of the whole service: the routes of routes.go and Options.Routes,
// 405 for their other methods, 404 elsewhere, with the drain's answers (see Drain). This is
// the floppy build's New: no fasthttp/router (see the package documentation).
func New(o Options) *Router {
	return build(o, linear)
}
