// Command binsize shows where the bytes of getsmall (or any main package of the module in
// the current directory) go: it builds the package unstripped with the linker's dependency
// dump, then prints the size of every file section, the largest packages with one chain of
// references that made the linker keep each, and on request the whole chain for a symbol.
// `make binsize` builds it into bin/ and runs it at the repository root:
//
//	bin/binsize [-top 40] [-why REGEXP] [-tags TAGS] [-gcflags FLAGS] [PACKAGE]
//
// GOOS, GOARCH, GOARM and GOMIPS come from the environment, as for go build. Sizes are
// before UPX: what a package costs once packed depends on its neighbours, so compare packed
// builds for that (docs/floppy.md). Only main calls os.Exit.
package main

import (
	"bytes"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/getsmall/getsmall/tools/binsize"
)

const module = "github.com/getsmall/getsmall"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("binsize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	top := fs.Int("top", 40, "packages to list, largest first")
	why := fs.String("why", "", "print the chain that kept the first reachable symbol matching this regular expression")
	tags := fs.String("tags", "", "build tags, as for go build")
	gcflags := fs.String("gcflags", "", "compiler flags, as for go build (for example all=-l)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	pkg := "./cmd/getsmall"
	switch fs.NArg() {
	case 0:
	case 1:
		pkg = fs.Arg(0)
	default:
		fmt.Fprintf(stderr, "binsize: one package at most, got %q\n", fs.Args())
		return 2
	}
	var whyRE *regexp.Regexp
	if *why != "" {
		re, err := regexp.Compile(*why)
		if err != nil {
			fmt.Fprintf(stderr, "binsize: -why: %v\n", err)
			return 2
		}
		whyRE = re
	}
	if *top < 1 {
		fmt.Fprintln(stderr, "binsize: -top must be at least 1")
		return 2
	}

	if err := report(stdout, pkg, *tags, *gcflags, *top, whyRE); err != nil {
		fmt.Fprintf(stderr, "binsize: %v\n", err)
		return 1
	}
	return 0
}

func report(w io.Writer, pkg, tags, gcflags string, top int, why *regexp.Regexp) error {
	dir, err := os.MkdirTemp("", "binsize-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bin")

	// The project's flags without -s (the symbol table is what is measured) and -w (DWARF
	// is not loaded, so it does not matter), plus the dependency dump on the linker's output.
	args := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-dumpdep", "-o", bin}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	if gcflags != "" {
		args = append(args, "-gcflags", gcflags)
	}
	cmd := goCommand(append(args, pkg)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, tail(out.Bytes()))
	}
	graph, reflectMethod, err := binsize.ParseDumpdep(&out)
	if err != nil {
		return err
	}
	mainPkg, imports, err := importGraph(pkg, tags)
	if err != nil {
		return err
	}
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Errorf("%w (binsize reads ELF binaries: set GOOS=linux)", err)
	}
	defer f.Close()
	sizes, err := binsize.Read(f)
	if err != nil {
		return err
	}

	if err := binsize.Format(w, sizes, graph, imports, mainPkg, module, top); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d reachable symbols; ", graph.Len())
	if len(reflectMethod) == 0 {
		fmt.Fprintln(w, "no reflect Method/MethodByName caller: unused methods are dropped")
	} else {
		fmt.Fprintf(w, "reflect Method/MethodByName callers keep every exported method: %q\n", reflectMethod)
	}
	if why != nil {
		sym := graph.Find(why)
		if sym == "" {
			return errors.New("-why: no reachable symbol matches " + why.String())
		}
		fmt.Fprintf(w, "\nwhy %s:\n", sym)
		for _, s := range graph.Chain(sym) {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	return nil
}

// importGraph returns the import path of pkg and the imports of every package it depends
// on, for the same platform and tags as the build.
func importGraph(pkg, tags string) (string, map[string][]string, error) {
	args := []string{"list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	out, err := goCommand(append(args, pkg)...).Output()
	if err != nil {
		return "", nil, fmt.Errorf("go list %s: %w", pkg, err)
	}
	imports := map[string][]string{}
	last := ""
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		last = fields[0]
		imports[last] = fields[1:]
	}
	return last, imports, nil // -deps lists pkg itself last
}

// goCommand runs the go command the way the project's build does: without cgo, for the
// platform the environment names.
func goCommand(args ...string) *exec.Cmd {
	cmd := exec.Command("go", args...) //nolint:gosec // the user names the package and flags to build, as with go build
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	return cmd
}

// tail returns the last lines of the go command's output: after a failed build, the dump
// that preceded the error is noise.
func tail(b []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return bytes.Join(lines, []byte("\n"))
}
