// Command getsmall serves /health over HTTP and nothing else, from a static binary small
// enough for a scratch image. Run "getsmall -h" for commands, flags and their environment
// variables.
package main

import (
	"os"

	"github.com/getsmall/getsmall/internal/cli"
)

// Set by the linker (see the Makefile's LDFLAGS); a plain go build leaves these defaults.
var (
	version = "dev"
	commit  = "unknown"
	date    = "unknown"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr,
		cli.Build{Version: version, Commit: commit, Date: date}))
}
