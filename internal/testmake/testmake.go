// Package testmake runs the project's Makefile from tests, so that tests exercise the same
// targets and build flags users type. It is imported by tests only.
package testmake

import (
	"os"
	"os/exec"
	"strings"
)

// Command returns `make -s -C root args...`. A make that runs the tests exports its own
// flags and level; the inner make must not inherit them (a jobserver it cannot reach, or
// variables given to the outer make on its command line).
func Command(root string, args ...string) *exec.Cmd {
	cmd := exec.Command("make", append([]string{"-s", "-C", root}, args...)...) //nolint:gosec // the tests choose the targets
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	return cmd
}
