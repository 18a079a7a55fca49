// Command dockerlint checks Dockerfiles with BuildKit's parser and linter plus this
// project's rules (package dockerfile). It prints one line per finding,
// file:line: Rule (origin): message, and exits 1 when there is any, 2 when a file cannot be
// read or parsed. make lint runs it on the project's Dockerfiles.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/getsmall/getsmall/tools/lint/dockerfile"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(stderr, "usage: dockerlint Dockerfile...\n\nBuildKit's checks (docker build --check) and these rules: %s\n",
			strings.Join(dockerfile.Rules, ", "))
		return 2
	}
	failed := 0
	for _, name := range args {
		src, err := os.ReadFile(name) //nolint:gosec // reading the files it is asked to lint is its job
		if err != nil {
			fmt.Fprintf(stderr, "dockerlint: %v\n", err)
			return 2
		}
		findings, err := dockerfile.Lint(src)
		if err != nil {
			fmt.Fprintf(stderr, "dockerlint: %s: %v\n", name, err)
			return 2
		}
		for _, f := range findings {
			fmt.Fprintf(stdout, "%s:%s\n", name, f)
		}
		failed += len(findings)
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "dockerlint: %d finding(s) in %d file(s)\n", failed, len(args))
		return 1
	}
	fmt.Fprintf(stdout, "dockerlint: %s: no findings\n", strings.Join(args, ", "))
	return 0
}
