package router

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// bodyRoutes are routes that read bodies, beside routes.go's, for the tests below.
var bodyRoutes = []Route{
	{Path: "/in", Methods: []string{"POST"}, MaxBodyBytes: 100, Handle: func(ctx *fasthttp.RequestCtx) { ctx.SetBody(ctx.PostBody()) }},
	{Path: "/both", Methods: []string{"PUT", "POST"}, MaxBodyBytes: 7, Handle: func(ctx *fasthttp.RequestCtx) { ctx.SetBody(ctx.PostBody()) }},
}

// targets are request targets in every form fasthttp parses.
var targets = []string{
	"/in", "/in?x=1", "/in#frag", "/in?x#y", "/in#y?x", "/both", "/both/", "/BOTH", "/in/../in", "/i%6e",
	"http://h.example/in", "http://h.example/both?x", "https://h/in#f", "http://h.example", "HTTP://h/in",
	"//in", "//h/in", "/", "*", "in", "http:/in", "/in?", "ftp://h/in", "http://u:p@h/in", "/health",
}

// pathAsServed is the path fasthttp gives the handler for target and host.
func pathAsServed(target, host string) (string, bool) {
	var u fasthttp.URI
	if err := u.Parse([]byte(host), []byte(target)); err != nil {
		return "", false
	}
	return string(u.PathOriginal()), true
}

// TestBodyLimit checks that the limit the server gets from a request's head is the route's
// the handler dispatches to: for every target form, method and host.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	rt := New(Options{Routes: bodyRoutes})
	for _, target := range targets {
		for _, host := range []string{"x", ""} {
			for _, method := range everyMethod {
				var h fasthttp.RequestHeader
				h.SetMethod(method)
				h.SetRequestURI(target)
				h.SetHost(host)
				want := 0
				if path, ok := pathAsServed(target, host); ok {
					for _, r := range bodyRoutes {
						for _, m := range r.Methods {
							if path == r.Path && m == method {
								want = r.MaxBodyBytes
							}
						}
					}
				}
				if got := rt.BodyLimit(&h); got != want {
					t.Errorf("%s %s (Host %q): BodyLimit %d, want %d", method, target, host, got, want)
				}
			}
		}
	}
	if got := New(Options{}).BodyLimit(new(fasthttp.RequestHeader)); got != 0 {
		t.Errorf("with no body route: BodyLimit %d, want 0", got)
	}
}

// FuzzRequestPath holds requestPath to the path fasthttp routes by, for any target and
// host: the two must never disagree, or a body would be bounded by another route's limit.
func FuzzRequestPath(f *testing.F) {
	for _, target := range targets {
		f.Add(target, "x")
	}
	f.Fuzz(func(t *testing.T, target, host string) {
		var h fasthttp.RequestHeader
		h.SetRequestURI(target)
		h.SetHost(host)
		want, ok := pathAsServed(string(h.RequestURI()), string(h.Host()))
		got, release := requestPath(&h)
		defer release()
		if ok && string(got) != want {
			t.Errorf("target %q, host %q: requestPath %q, fasthttp routes by %q", target, host, got, want)
		}
	})
}

// TestBodiesReachOnlyTheirRoutes checks that a route that reads a body gets it whole and
// that one that declares none never sees one, with either router.
func TestBodiesReachOnlyTheirRoutes(t *testing.T) {
	t.Parallel()
	for _, r := range routers {
		h := r.new(Options{Routes: append(bodyRoutes, Route{Path: "/none", Methods: []string{"POST"},
			Handle: func(ctx *fasthttp.RequestCtx) { ctx.SetBody(append([]byte("saw:"), ctx.PostBody()...)) }})})
		for path, want := range map[string]string{"/in": "hello", "/both": "hello", "/none": "saw:"} {
			ctx := new(fasthttp.RequestCtx)
			ctx.Request.Header.SetMethod("POST")
			ctx.Request.SetRequestURI(path)
			ctx.Request.SetBodyString("hello")
			h(ctx)
			if got := string(ctx.Response.Body()); got != want {
				t.Errorf("%s: POST %s with a body: answered %q, want %q", r.name, path, got, want)
			}
		}
	}
}
