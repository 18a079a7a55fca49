// Command getsmall-echo is getsmall with one more route, POST and PUT /echo, that reads
// bodies of up to 1,024 bytes and answers "got:" and the body (internal/bodyroute): what a
// fork's first body route is. The conformance suite and the proxies' test hold it to what
// such a fork must do; it is never shipped.
package main

import (
	"os"

	"github.com/getsmall/getsmall/internal/bodyroute"
	"github.com/getsmall/getsmall/internal/cli"
	"github.com/getsmall/getsmall/router"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr, cli.Build{
		Version: "echo", Commit: "test", Date: "test",
		Routes: []router.Route{bodyroute.Echo(bodyroute.Limit)},
	}))
}
