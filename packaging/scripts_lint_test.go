// sh -n and shellcheck on every maintainer script and init script the packages carry.

package packaging

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestScriptsLint runs sh -n and shellcheck on every maintainer script and init script.
func TestScriptsLint(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Fatalf("shellcheck not found (apt-get install shellcheck): %v", err)
	}
	for _, f := range Formats {
		for name, content := range scriptsOf(t, f) {
			t.Run(string(f)+"-"+name, func(t *testing.T) {
				t.Parallel()
				if !bytes.HasPrefix(content, []byte("#!/bin/sh")) && !bytes.HasPrefix(content, []byte("#!/sbin/openrc-run")) {
					t.Errorf("first line %q: want a POSIX shell", bytes.SplitN(content, []byte("\n"), 2)[0])
				}
				lintShell(t, name, content)
			})
		}
	}
}

// lintShell writes a script to a file named name and runs sh -n and shellcheck -s sh on
// it; any complaint fails the test.
func lintShell(t *testing.T, name string, content []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	mustWrite(t, path, string(content), 0o600)
	if out, err := exec.Command("sh", "-n", path).CombinedOutput(); err != nil {
		t.Errorf("%s: sh -n: %v\n%s", name, err, out)
	}
	if out, err := exec.Command("shellcheck", "-s", "sh", path).CombinedOutput(); err != nil {
		t.Errorf("%s: shellcheck: %v\n%s", name, err, out)
	}
}
