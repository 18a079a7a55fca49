package router

import (
	"bytes"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// routers are the two ways New can route: fasthttp/router in the default build, a direct
// comparison in the floppy build (-tags floppy). Every build tests both, so the two give
// the same answers; under the floppy tag both entries are the comparison.
var routers = []struct {
	name string
	new  func(Options) fasthttp.RequestHandler
}{
	{"New", func(o Options) fasthttp.RequestHandler { return New(o).Handler }},
	{"switch", func(o Options) fasthttp.RequestHandler { return build(o, linear).Handler }},
}

// testOptions is what the tests build routers with: a version a route could report.
var testOptions = Options{Version: "v1.2.3-test"}

// everyMethod is each method a client may send, the router's unnamed ones included.
var everyMethod = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"}

// serve runs one request through the handler on a bare RequestCtx: no network, no server.
func serve(t testing.TB, h fasthttp.RequestHandler, method, uri string) *fasthttp.RequestCtx {
	t.Helper()
	ctx := new(fasthttp.RequestCtx)
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	ctx.Request.Header.SetHost("evil.example")
	h(ctx)
	return ctx
}

// answer is what a test compares: the parts of a response a client sees.
type answer struct {
	status              int
	body, contentType   string
	allow, cacheControl string
	location            string
}

func answerOf(ctx *fasthttp.RequestCtx) answer {
	h := &ctx.Response.Header
	return answer{
		status: ctx.Response.StatusCode(), body: string(ctx.Response.Body()), contentType: string(h.ContentType()),
		allow: string(h.Peek("Allow")), cacheControl: string(h.Peek("Cache-Control")), location: string(h.Peek("Location")),
	}
}

var notFoundAnswer = answer{status: 404, body: "404 not found\n", contentType: "text/plain; charset=utf-8"}

func notAllowedAnswer(r Route) answer {
	return answer{status: 405, body: "405 method not allowed\n", contentType: "text/plain; charset=utf-8", allow: strings.Join(r.methods(), ", ")}
}

// routeCase is one request and the answer it must get.
type routeCase struct {
	method, uri string
	want        answer
}

// routeCases derives the behaviour table from routes: each method of each route gets what
// the route's own handler answers, every other method 405 with Allow, and the paths around
// each route 404. Nothing here names a route: a route added to routes.go is tested by it.
func routeCases(t *testing.T) map[string]routeCase {
	t.Helper()
	cases := map[string]routeCase{
		"GET /":                 {"GET", "/", notFoundAnswer},
		"GET /nope":             {"GET", "/nope", notFoundAnswer},
		"POST /nope":            {"POST", "/nope", notFoundAnswer},
		"OPTIONS *":             {"OPTIONS", "*", notFoundAnswer},
		"GET absolute, unknown": {"GET", "http://evil.example/nope", notFoundAnswer},
	}
	for _, r := range routes(testOptions.withDefaults()) {
		if !strings.HasPrefix(r.Path, "/") || r.Handle == nil {
			t.Fatalf("route %+v: want a path starting with / and a handler", r)
		}
		allowed := map[string]bool{}
		for _, m := range r.methods() {
			allowed[m] = true
			own := answerOf(serve(t, r.Handle, m, r.Path))
			cases[m+" "+r.Path] = routeCase{m, r.Path, own}
			cases[m+" "+r.Path+"?x=1"] = routeCase{m, r.Path + "?x=1", own}
			cases[m+" absolute-form "+r.Path] = routeCase{m, "http://evil.example" + r.Path, own}
		}
		for _, m := range everyMethod {
			if !allowed[m] {
				cases[m+" "+r.Path] = routeCase{m, r.Path, notAllowedAnswer(r)}
			}
		}
		// The paths around a route are other paths: never a redirect, never the route.
		for _, p := range []string{r.Path + "/", strings.ToUpper(r.Path), "/" + r.Path, r.Path + "/x",
			"/x/.." + r.Path, "/%" + hex(r.Path[1]) + r.Path[2:]} {
			if p != r.Path {
				cases["GET "+p] = routeCase{"GET", p, notFoundAnswer}
			}
		}
	}
	return cases
}

// hex is a byte's two hex digits: a path with its first letter percent-encoded is another
// path to the router, as it is to fasthttp/router.
func hex(b byte) string { return strconv.FormatUint(uint64(b)|0x100, 16)[1:] }

func TestRoutes(t *testing.T) {
	t.Parallel()
	cases := routeCases(t)
	for _, r := range routers {
		h := r.new(testOptions)
		for name, tc := range cases {
			t.Run(r.name+"/"+name, func(t *testing.T) {
				ctx := serve(t, h, tc.method, tc.uri)
				if got := answerOf(ctx); got != tc.want {
					t.Errorf("%s %s:\n got %+v\nwant %+v", tc.method, tc.uri, got, tc.want)
				}
				// Nothing from the request is reflected into a header.
				for k, v := range ctx.Response.Header.All() {
					lv := bytes.ToLower(v)
					if bytes.Contains(lv, []byte("evil.example")) || bytes.Contains(lv, []byte("nope")) {
						t.Errorf("header %s: %q reflects the request", k, v)
					}
				}
			})
		}
	}
}

// TestREADMEListsEveryRoute holds README.md's answer table to the routes: a route added to
// routes.go needs a row there saying what it answers.
func TestREADMEListsEveryRoute(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes(testOptions.withDefaults()) {
		for _, m := range r.methods() {
			if !bytes.Contains(readme, []byte("`"+m+" "+r.Path)) {
				t.Errorf("README.md's answer table has no `%s %s`: router/routes.go declares it; add a row that says what it answers", m, r.Path)
			}
		}
	}
}

// onConn runs one request on a RequestCtx for a connection opened now, as fasthttp's server
// prepares it (Init2 stamps the connection's time).
func onConn(t testing.TB, h fasthttp.RequestHandler, method, uri string) *fasthttp.RequestCtx {
	t.Helper()
	c, other := net.Pipe()
	t.Cleanup(func() { _ = c.Close(); _ = other.Close() })
	ctx := new(fasthttp.RequestCtx)
	ctx.Init2(c, nil, false)
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	h(ctx)
	return ctx
}
