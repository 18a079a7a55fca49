package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gomod := write("go.mod", "module x\n\ngo 1.26.0\n\nrequire (\n\tgithub.com/valyala/fasthttp v1.78.0\n\tgithub.com/fasthttp/router v1.5.4\n)\n")
	good := write("good.json", `{"bomFormat":"CycloneDX","components":[
		{"purl":"pkg:golang/github.com/valyala/fasthttp@v1.78.0"},{"purl":"pkg:golang/github.com/fasthttp/router@v1.5.4"},
		{"purl":"pkg:golang/stdlib@1.26.8"},{"purl":"pkg:deb/debian/tzdata@2025b-0+deb12u2?arch=all"}]}`)
	bad := write("bad.json", `{"bomFormat":"CycloneDX","components":[{"purl":"pkg:golang/stdlib@1.26.8"}]}`)
	notSBOM := write("spdx.json", `{"spdxVersion":"SPDX-2.3"}`)

	tests := []struct {
		name string
		args []string
		want int
		out  string
	}{
		{"good", []string{good}, 0, "ok   " + good},
		{"good with Debian", []string{"-debian", "tzdata", good}, 0, "Debian tzdata"},
		{"missing Debian", []string{"-debian", "tzdata,netbase", good}, 1, "netbase is missing"},
		{"bad", []string{good, bad}, 1, "FAIL " + bad},
		{"not CycloneDX", []string{notSBOM}, 2, "not a CycloneDX SBOM"},
		{"missing file", []string{filepath.Join(dir, "nope.json")}, 2, "no such file"},
		{"no files", nil, 2, "no SBOM files"},
		{"module go.mod lacks", []string{"-modules", "github.com/other/mod", good}, 2, "does not require github.com/other/mod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"-gomod", gomod, "-go", "go1.26.8"}, tt.args...)
			if got := run(args, &stdout, &stderr); got != tt.want {
				t.Errorf("exit %d, want %d\n%s%s", got, tt.want, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String()+stderr.String(), tt.out) {
				t.Errorf("output lacks %q:\n%s%s", tt.out, stdout.String(), stderr.String())
			}
		})
	}
}
