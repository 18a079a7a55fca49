// Command sbomcheck checks CycloneDX SBOMs against go.mod: each must name the given modules
// at the versions go.mod requires and the Go toolchain that built the binary, and, with
// -debian, the Debian packages of the base image. It prints one line per SBOM and exits 1
// when any SBOM misses something, 2 on bad usage or an unreadable file.
//
//	sbomcheck -gomod go.mod -go go1.26.8 [-debian base-files,netbase] bin/*.cdx.json
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/getsmall/getsmall/tools/trust/sbom"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sbomcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	gomod := fs.String("gomod", "go.mod", "the go.mod whose requirements the SBOMs must name")
	goVersion := fs.String("go", runtime.Version(), "the Go toolchain version the binaries were built with")
	modules := fs.String("modules", "github.com/valyala/fasthttp,github.com/fasthttp/router", "comma-separated modules that must be named at go.mod's versions")
	debian := fs.String("debian", "", "comma-separated Debian packages that must be named (the distroless-style base)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "sbomcheck: no SBOM files given")
		return 2
	}
	data, err := os.ReadFile(*gomod)
	if err != nil {
		fmt.Fprintf(stderr, "sbomcheck: %v\n", err)
		return 2
	}
	want, err := sbom.WantFromGoMod(data, *goVersion, split(*modules)...)
	if err != nil {
		fmt.Fprintf(stderr, "sbomcheck: %s: %v\n", *gomod, err)
		return 2
	}
	want.Debian = split(*debian)

	failed := 0
	for _, name := range fs.Args() {
		err := checkFile(name, want)
		var readErr *readError
		switch {
		case errors.As(err, &readErr):
			fmt.Fprintf(stderr, "sbomcheck: %s: %v\n", name, err)
			return 2
		case err != nil:
			failed++
			fmt.Fprintf(stdout, "FAIL %s:\n  %s\n", name, strings.ReplaceAll(err.Error(), "\n", "\n  "))
		default:
			fmt.Fprintf(stdout, "ok   %s: %s, %s%s\n", name, modulesString(want), want.GoVersion, debString(want))
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
}

type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

func checkFile(name string, want sbom.Want) error {
	f, err := os.Open(name) //nolint:gosec // reading the SBOMs it is asked to check is its job
	if err != nil {
		return &readError{err}
	}
	defer f.Close()
	doc, err := sbom.Read(f)
	if err != nil {
		return &readError{err}
	}
	return sbom.Check(doc, want)
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func modulesString(w sbom.Want) string {
	var parts []string
	for _, m := range slices.Sorted(maps.Keys(w.Modules)) {
		parts = append(parts, m+"@"+w.Modules[m])
	}
	return strings.Join(parts, ", ")
}

func debString(w sbom.Want) string {
	if len(w.Debian) == 0 {
		return ""
	}
	return ", Debian " + strings.Join(w.Debian, ", ")
}
