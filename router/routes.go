package router

// routes is every path the service answers, and the one place a route is declared: New
// registers each one with fasthttp/router (the floppy build, with its switch), and the
// behaviour tests derive their cases from this list: every method of a route, 405 for the
// others, 404 for the paths around it, zero allocations, and a row in README.md's answer
// table. docs/making-it-yours.md walks through adding GET /version.
func routes(o Options) []Route {
	return []Route{
		{Path: HealthPath, Handle: health(o.Drain)},
	}
}
