package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	license := filepath.Join(dir, "LICENSE")
	if err := os.WriteFile(license, []byte("MIT License\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	valid := map[string]string{
		"nfpm": "/bin/false", "name": "getsmall", "version": "v1.2.3", "date": "2026-11-27T14:30:05Z",
		"platforms": "linux/amd64", "bin-prefix": filepath.Join(dir, "getsmall-"), "out": filepath.Join(dir, "out"),
		"summary": "s", "maintainer": "m <m@m.invalid>", "license-file": license,
	}
	args := func(change map[string]string) []string {
		var out []string
		for k, v := range valid {
			if c, ok := change[k]; ok {
				if c == "-" {
					continue
				}
				v = c
			}
			out = append(out, "-"+k, v)
		}
		return out
	}
	for name, tc := range map[string]struct {
		change map[string]string
		extra  []string
		want   string
	}{
		"no nfpm":          {map[string]string{"nfpm": "-"}, nil, "-nfpm is required"},
		"blank name":       {map[string]string{"name": " "}, nil, "-name is required"},
		"bad version":      {map[string]string{"version": "dev"}, nil, `version "dev": not a tag like v1.2.3`},
		"untagged no date": {map[string]string{"version": "abc1234", "date": "unknown"}, nil, `BUILD_DATE "unknown" is not a time`},
		"bad date":         {map[string]string{"date": "yesterday"}, nil, `-date "yesterday"`},
		"bad format":       {nil, []string{"-formats", "deb msi"}, `unknown package format "msi"`},
		"no license":       {map[string]string{"license-file": filepath.Join(dir, "nope")}, nil, "-license-file:"},
		"stray argument":   {nil, []string{"extra"}, `unexpected argument "extra"`},
		"apk3 without apk": {nil, []string{"-formats", "ipk apk3"}, "-apk is required for the apk3 format"},
		"apk key name":     {nil, []string{"-apk-key", filepath.Join(dir, "key.pem")}, "want a name ending in .rsa"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), append(args(tc.change), tc.extra...), &stdout, &stderr)
			msg := stderr.String()
			if code != 2 || !strings.HasPrefix(msg, "packages: ") || !strings.Contains(msg, tc.want) || strings.Count(msg, "\n") != 1 || stdout.Len() > 0 {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and one line with %q", code, stdout.String(), msg, tc.want)
			}
		})
	}
	// A binary that is not there: a runtime error, exit 1, with what to run.
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), args(nil), &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "no such binary (make build-all") {
		t.Errorf("missing binary: exit %d, stderr %q", code, stderr.String())
	}
}
