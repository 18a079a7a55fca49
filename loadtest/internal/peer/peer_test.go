package peer

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// The baseline must answer exactly as getsmall does, or the comparison is unfair.
func TestSameSemanticsAsGetsmall(t *testing.T) {
	t.Parallel()
	var draining atomic.Bool
	h := Handler(&draining)
	tests := []struct {
		method, path string
		status       int
		body, allow  string
	}{
		{"GET", "/health", 200, `{"status":"ok"}`, ""},
		{"GET", "/health?x=1", 200, `{"status":"ok"}`, ""},
		{"HEAD", "/health", 200, "", ""},
		{"POST", "/health", 405, "405 method not allowed\n", "GET, HEAD"},
		{"GET", "/health/", 404, "404 not found\n", ""},
		{"GET", "/HEALTH", 404, "404 not found\n", ""},
		{"GET", "/", 404, "404 not found\n", ""},
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		body, _ := io.ReadAll(rec.Body)
		if tc.method == http.MethodHead {
			body = nil // the server drops it on the wire; the recorder keeps it
		}
		if rec.Code != tc.status || string(body) != tc.body || rec.Header().Get("Allow") != tc.allow {
			t.Errorf("%s %s = %d %q Allow %q", tc.method, tc.path, rec.Code, body, rec.Header().Get("Allow"))
		}
	}
	draining.Store(true)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health", nil))
	if rec.Code != 503 || rec.Body.String() != `{"status":"draining"}` {
		t.Errorf("draining: %d %q", rec.Code, rec.Body.String())
	}
}
