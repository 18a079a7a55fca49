package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// names are what the command renames: the Go module path and the product name.
type names struct {
	module string
	name   string
}

// nameRE is a DNS label (RFC 1123): the strictest of the places the name goes, a binary
// name, an image name and a Kubernetes object name, so one check covers all three.
var nameRE = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

// nameBaseRE finds the product name in the Makefile, where every recipe derives the
// binary, image and object names from it. A trailing comment is allowed.
var nameBaseRE = regexp.MustCompile(`(?m)^NAME_BASE[ \t]*:=[ \t]*(\S+)[ \t]*(?:#.*)?$`)

// checkModule rejects what the go command would reject as a module path, so the renamed
// tree still builds.
func checkModule(path string) error {
	if err := module.CheckPath(path); err != nil {
		return fmt.Errorf("-module %q is not a valid Go module path (%w)", path, err)
	}
	return nil
}

// checkName rejects a name that could not serve as a binary, image and Kubernetes name.
func checkName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("-name %q is not a valid name: want 1 to 63 lower-case letters, digits "+
			"and '-', starting with a letter and not ending with '-'", name)
	}
	return nil
}

// readNames reads the current module path and name from the tree: the template may have
// been renamed before, so the names it shipped with cannot be assumed.
func readNames(root string) (names, error) {
	gomod := filepath.Join(root, "go.mod")
	data, err := os.ReadFile(gomod) //nolint:gosec // the root the user named
	if err != nil {
		return names{}, fmt.Errorf("reading the current module path: %w", err)
	}
	var have names
	if have.module = modfile.ModulePath(data); have.module == "" {
		return names{}, fmt.Errorf("%s: no module line to read the current module path from", gomod)
	}
	makefile := filepath.Join(root, "Makefile")
	if data, err = os.ReadFile(makefile); err != nil { //nolint:gosec // the root the user named
		return names{}, fmt.Errorf("reading the current name: %w", err)
	}
	m := nameBaseRE.FindSubmatch(data)
	if m == nil {
		return names{}, fmt.Errorf("%s: no line \"NAME_BASE := <name>\" to read the current name from", makefile)
	}
	// A name that is not a plain word (say a $(variable)) cannot be found as a word in
	// the tree: replacing it would miss most places, so stop before changing anything.
	if have.name = string(m[1]); !nameRE.MatchString(have.name) {
		return names{}, fmt.Errorf("%s: NAME_BASE %q is not a valid name to rename from", makefile, have.name)
	}
	return have, nil
}
