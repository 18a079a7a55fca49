package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRunSaysWhatCameBack(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()
	// A port nothing listens on: take one, then close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/health"
	_ = l.Close()
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{srv.URL + "/health"}, 0, `200 {"status":"ok"}`},
		{[]string{srv.URL + "/nope"}, 1, "404"},
		{[]string{closed}, 2, "no answer"},
		{[]string{"-for", "600ms", closed}, 2, "no answer ("},
		{[]string{"-wait", "10ms", srv.URL + "/health"}, 0, "(1 tries)"},
		{nil, 2, "usage"},
		{[]string{"a", "b"}, 2, "usage"},
		{[]string{"-for", "-1s", "a"}, 2, "usage"},
	} {
		var out, errs bytes.Buffer
		code := run(tc.args, &out, &errs)
		if code != tc.code || !strings.Contains(out.String()+errs.String(), tc.out) {
			t.Errorf("run(%q) = %d, %q %q; want %d and %q", tc.args, code, out.String(), errs.String(), tc.code, tc.out)
		}
	}
}
