// Command packages writes the OS packages of one build of the binaries: a .deb, an .rpm, an
// .apk and an .ipk per platform, with nfpm. make packages runs it (packaging/packaging.mk).
//
//	packages -nfpm PATH -name NAME -version VERSION -date BUILD_DATE -platforms "..." \
//	  -bin-prefix bin/getsmall-upx- -packed -out dist/packages [-sbom-dir DIR] ...
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/getsmall/getsmall/packaging/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
