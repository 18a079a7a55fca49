// Command rename turns a fresh copy of the getsmall template into the user's own service:
// it replaces the Go module path and the product name (the binary, the image, the
// Kubernetes objects) in every text file, then in file and directory names.
//
//	go -C tools run ./cmd/rename -root DIR -module PATH -name NAME [-dry-run]
//
// `make rename MODULE=example.com/team/svc NAME=svc` calls it. The current module path
// (the module line of ROOT/go.mod) and name (NAME_BASE in ROOT/Makefile) are read from the
// tree rather than assumed, so a second run with the same values changes nothing and a
// later run with other values renames from whatever the tree holds then. It does not use
// git: a fork may come from a tarball.
//
// The name is replaced only as a whole word, in lower case and upper case (the upper-case
// form with '-' turned into '_', so environment variable names stay valid). Mixed-case Go
// identifiers such as VsGetsmall are left alone: a hyphenated name would not make a valid
// identifier. LICENSE, .git, bin/, dist/, loadtest/results/, this command's own sources
// and binary files are never touched. Only main calls os.Exit.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// example is appended to every usage error so the fix is one copy-paste away.
const example = "for example: make rename MODULE=example.com/team/svc NAME=svc " +
	"(or: go -C tools run ./cmd/rename -root . -module example.com/team/svc -name svc)"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the validated command-line flags.
type options struct {
	root   string
	want   names
	dryRun bool
}

// run is the whole command: exit 2 for usage errors, 1 for runtime failures, 0 otherwise.
func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, "usage: rename -root DIR -module PATH -name NAME [-dry-run]; "+example)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "rename: %v; %s\n", err, example)
		return 2
	}
	if err := rename(opts, stdout); err != nil {
		fmt.Fprintf(stderr, "rename: %v\n", err)
		return 1
	}
	return 0
}

// parseArgs parses and validates the flags without touching the file system, so that
// every usage error is reported before any work starts.
func parseArgs(args []string) (options, error) {
	fs := flag.NewFlagSet("rename", flag.ContinueOnError)
	// The flag package would print its error and the whole flag list; run prints one line.
	fs.SetOutput(io.Discard)
	var opts options
	fs.StringVar(&opts.root, "root", "", "the repository root")
	fs.StringVar(&opts.want.module, "module", "", "the new Go module path")
	fs.StringVar(&opts.want.name, "name", "", "the new name of the binary, image and Kubernetes objects")
	fs.BoolVar(&opts.dryRun, "dry-run", false, "print what would change, change nothing")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected argument %q: only flags are accepted", fs.Arg(0))
	}
	// An empty value counts as missing: the Makefile passes -name '' when NAME is unset.
	var missing []string
	for _, f := range []struct{ flag, value string }{
		{"-root", opts.root}, {"-module", opts.want.module}, {"-name", opts.want.name},
	} {
		if f.value == "" {
			missing = append(missing, f.flag)
		}
	}
	if len(missing) > 0 {
		return options{}, fmt.Errorf("missing %s", strings.Join(missing, " and "))
	}
	if err := checkModule(opts.want.module); err != nil {
		return options{}, err
	}
	if err := checkName(opts.want.name); err != nil {
		return options{}, err
	}
	return opts, nil
}

// rename reads the current names from the tree, plans every change, checks the plan can
// be carried out, then applies it (or, with -dry-run, prints it).
func rename(opts options, stdout io.Writer) error {
	have, err := readNames(opts.root)
	if err != nil {
		return err
	}
	if have == opts.want {
		fmt.Fprintf(stdout, "rename: already %s and %s: nothing to change\n", have.module, have.name)
		return nil
	}
	p, err := makePlan(opts.root, newReplacer(have, opts.want), nameReplacer(have, opts.want))
	if err != nil {
		return err
	}
	head := fmt.Sprintf("rename: module %s -> %s, name %s -> %s", have.module, opts.want.module, have.name, opts.want.name)
	if opts.dryRun {
		for _, f := range p.files {
			fmt.Fprintf(stdout, "rewrite %s\n", f.rel)
		}
		for _, m := range p.moves {
			fmt.Fprintf(stdout, "rename %s -> %s\n", m.fromRel, m.toRel)
		}
		fmt.Fprintf(stdout, "%s: %s would be rewritten, %s would be renamed\n",
			head, count(len(p.files), "file"), count(len(p.moves), "path"))
		return nil
	}
	if err := p.apply(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s rewritten, %s renamed\n", head, count(len(p.files), "file"), count(len(p.moves), "path"))
	return nil
}

// count spells "1 file" and "2 files" so the summary reads as English.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
