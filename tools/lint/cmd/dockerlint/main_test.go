package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestExitCodes(t *testing.T) {
	root := "../../../../"
	tests := []struct {
		name string
		args []string
		want int
		out  string // expected in stdout or stderr
	}{
		{"clean", []string{root + "Dockerfile", root + "Dockerfile.upx", root + "Dockerfile.alpine"}, 0, "no findings"},
		{"findings", []string{"../../dockerfile/testdata/bad.Dockerfile"}, 1, "bad.Dockerfile:32: ExecFormEntrypoint (getsmall)"},
		{"missing file", []string{"nope.Dockerfile"}, 2, "no such file"},
		{"no arguments", nil, 2, "usage: dockerlint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(tt.args, &stdout, &stderr); got != tt.want {
				t.Errorf("exit %d, want %d\n%s%s", got, tt.want, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String()+stderr.String(), tt.out) {
				t.Errorf("output lacks %q:\n%s%s", tt.out, stdout.String(), stderr.String())
			}
		})
	}
}
