package sbom

import (
	"strings"
	"testing"
)

const gomod = `module example.com/app

go 1.26.0

require (
	github.com/fasthttp/router v1.5.4
	github.com/valyala/fasthttp v1.78.0
)
`

// doc builds a CycloneDX document with the given purls as top-level components.
func doc(t *testing.T, purls ...string) *Document {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[`)
	for i, p := range purls {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"type":"library","name":"x","purl":"` + p + `"}`)
	}
	b.WriteString(`]}`)
	d, err := Read(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var complete = []string{
	"pkg:golang/github.com/valyala/fasthttp@v1.78.0",
	"pkg:golang/github.com/fasthttp/router@v1.5.4",
	"pkg:golang/stdlib@1.26.8",
	"pkg:deb/debian/tzdata@2025b-0+deb12u2?arch=all&distro=debian-12",
	"pkg:deb/debian/base-files@12.4+deb12u13?arch=amd64&distro=debian-12",
}

func want(t *testing.T, debian ...string) Want {
	t.Helper()
	w, err := WantFromGoMod([]byte(gomod), "go1.26.8", "github.com/valyala/fasthttp", "github.com/fasthttp/router")
	if err != nil {
		t.Fatal(err)
	}
	w.Debian = debian
	return w
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		purls   []string
		debian  []string
		wantErr []string // substrings of the error; none means no error
	}{
		{"complete", complete, []string{"tzdata", "base-files"}, nil},
		{"cyclonedx-gomod's std", append(complete[:2:2], "pkg:golang/std@go1.26.8?goarch=amd64&goos=linux&type=module"), nil, nil},
		{"missing module", complete[1:], nil, []string{"module github.com/valyala/fasthttp is missing"}},
		{"wrong version", append([]string{"pkg:golang/github.com/valyala/fasthttp@v1.77.0"}, complete[1:]...), nil,
			[]string{"has version v1.77.0, go.mod requires v1.78.0"}},
		{"other Go", append(complete[:2:2], "pkg:golang/stdlib@1.26.7"), nil, []string{"standard library go1.26.8 is missing"}},
		{"no Go", complete[:2], nil, []string{"standard library go1.26.8 is missing"}},
		{"missing Debian package", complete, []string{"tzdata", "netbase"}, []string{"Debian package netbase is missing"}},
		{"everything missing", nil, []string{"tzdata"}, []string{"fasthttp is missing", "router is missing", "standard library", "tzdata"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Check(doc(t, tt.purls...), want(t, tt.debian...))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Errorf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.wantErr)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}

func TestNested(t *testing.T) {
	d, err := Read(strings.NewReader(`{"bomFormat":"CycloneDX","metadata":{"component":{"purl":"pkg:golang/example.com/app@v0.0.0",
		"components":[{"purl":"pkg:golang/github.com/valyala/fasthttp@v1.78.0"}]}},
		"components":[{"purl":"pkg:golang/github.com/fasthttp/router@v1.5.4","components":[{"purl":"pkg:golang/stdlib@go1.26.8"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(d, want(t)); err != nil {
		t.Error(err)
	}
}

func TestRead(t *testing.T) {
	for _, in := range []string{`{"spdxVersion":"SPDX-2.3"}`, `not json`, `{"bomFormat":"CycloneDX"`} {
		if _, err := Read(strings.NewReader(in)); err == nil {
			t.Errorf("Read(%q) accepted it", in)
		}
	}
}

func TestWantFromGoMod(t *testing.T) {
	if _, err := WantFromGoMod([]byte(gomod), "go1.26.8", "github.com/not/required"); err == nil ||
		!strings.Contains(err.Error(), "does not require github.com/not/required") {
		t.Errorf("a module go.mod lacks: %v", err)
	}
	if _, err := WantFromGoMod([]byte(gomod), "go1.25.9", "github.com/valyala/fasthttp"); err == nil {
		t.Error("a toolchain older than go.mod's go line was accepted")
	}
	if _, err := WantFromGoMod([]byte("module x\nrequire ("), "go1.26.8"); err == nil {
		t.Error("a broken go.mod was accepted")
	}
}
