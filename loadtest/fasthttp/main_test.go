package main

import (
	"os"
	"regexp"
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"
)

// The peer must answer /health with getsmall's bytes, or the comparison is unfair.
func TestAnswers(t *testing.T) {
	t.Parallel()
	var draining atomic.Bool
	h := handler(&draining)
	for _, tc := range []struct {
		method, path           string
		status                 int
		body, ctype, cc, allow string
	}{
		{"GET", "/health", 200, `{"status":"ok"}`, "application/json", "no-store", ""},
		{"GET", "/health?x=1", 200, `{"status":"ok"}`, "application/json", "no-store", ""},
		{"POST", "/health", 405, "405 method not allowed\n", "text/plain; charset=utf-8", "", "GET, HEAD"},
		{"GET", "/nope", 404, "404 not found\n", "text/plain; charset=utf-8", "", ""},
	} {
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod(tc.method)
		ctx.Request.SetRequestURI(tc.path)
		h(&ctx)
		r := &ctx.Response
		if r.StatusCode() != tc.status || string(r.Body()) != tc.body || string(r.Header.ContentType()) != tc.ctype ||
			string(r.Header.Peek("Cache-Control")) != tc.cc || string(r.Header.Peek("Allow")) != tc.allow {
			t.Errorf("%s %s = %d %q, Content-Type %q, Cache-Control %q, Allow %q", tc.method, tc.path,
				r.StatusCode(), r.Body(), r.Header.ContentType(), r.Header.Peek("Cache-Control"), r.Header.Peek("Allow"))
		}
	}
}

// The peer is "what getsmall's layers cost" only at the fasthttp version getsmall itself is
// built with: the load-test module must require the root go.mod's version.
func TestSameFasthttpAsTheProduct(t *testing.T) {
	t.Parallel()
	version := func(file string) string {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?github\.com/valyala/fasthttp\s+(v\S+)`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("%s requires no github.com/valyala/fasthttp", file)
		}
		return string(m[1])
	}
	if root, here := version("../../go.mod"), version("../go.mod"); root != here {
		t.Errorf("loadtest/go.mod requires fasthttp %s, the product's go.mod %s: pin the same version", here, root)
	}
}
