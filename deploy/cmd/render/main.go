// Command render prints an overlay as `kubectl apply -k` would send it, after the checks
// the manifest tests run on it; with -require-digest it also refuses an image that is not
// pinned by digest (make k8s-render does that for prod). Only main calls os.Exit.
//
//	go run ./cmd/render [-require-digest] overlays/NAME
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/getsmall/getsmall/deploy/manifest"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	digest := fs.Bool("require-digest", false, "refuse an image that is not pinned by digest")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "render: want one overlay directory, e.g. render -require-digest overlays/prod")
		return 2
	}
	dir := fs.Arg(0)
	s, err := manifest.Render(dir)
	if err == nil && *digest {
		err = manifest.RequireDigest(s, dir)
	}
	if err != nil {
		fmt.Fprintln(stderr, "render:", err)
		return 1
	}
	_, _ = stdout.Write(s.YAML)
	return 0
}
