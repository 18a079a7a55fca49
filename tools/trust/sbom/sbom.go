// Package sbom reads CycloneDX JSON SBOMs and checks that they name what the project says
// it ships: the Go modules at the versions go.mod requires, the Go toolchain that built the
// binary, and, for an image on the distroless-style base, the Debian packages of that base.
//
// Components are recognised by their package URL (purl), which syft and cyclonedx-gomod
// both write: pkg:golang/<module>@<version>, pkg:golang/stdlib@<go version> (syft) or a
// component named std (cyclonedx-gomod), pkg:deb/debian/<package>@<version>.
package sbom

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// Component is the part of a CycloneDX component the checks read.
type Component struct {
	Type       string      `json:"type"`
	Name       string      `json:"name"`
	Version    string      `json:"version"`
	PURL       string      `json:"purl"`
	Components []Component `json:"components"`
}

// Document is a CycloneDX BOM.
type Document struct {
	BOMFormat   string `json:"bomFormat"`
	SpecVersion string `json:"specVersion"`
	Metadata    struct {
		Component *Component `json:"component"`
	} `json:"metadata"`
	Components []Component `json:"components"`
}

// Read decodes a CycloneDX JSON document and rejects anything else.
func Read(r io.Reader) (*Document, error) {
	var d Document
	if err := json.NewDecoder(r).Decode(&d); err != nil {
		return nil, fmt.Errorf("decode SBOM: %w", err)
	}
	if d.BOMFormat != "CycloneDX" {
		return nil, fmt.Errorf("not a CycloneDX SBOM (bomFormat %q)", d.BOMFormat)
	}
	return &d, nil
}

// Package is one component reduced to what the checks compare.
type Package struct {
	Type    string // golang, deb...: the purl type
	Name    string // module path, "stdlib", or the Debian package name
	Version string
}

// Packages lists every component with a purl, nested ones included.
func (d *Document) Packages() []Package {
	var out []Package
	var walk func([]Component)
	walk = func(cs []Component) {
		for _, c := range cs {
			if p, ok := parsePURL(c); ok {
				out = append(out, p)
			}
			walk(c.Components)
		}
	}
	if d.Metadata.Component != nil {
		walk([]Component{*d.Metadata.Component})
	}
	walk(d.Components)
	return out
}

// parsePURL reads pkg:<type>/<namespace>/<name>@<version>?<qualifiers>.
func parsePURL(c Component) (Package, bool) {
	rest, ok := strings.CutPrefix(c.PURL, "pkg:")
	if !ok {
		return Package{}, false
	}
	rest, _, _ = strings.Cut(rest, "?")
	rest, _, _ = strings.Cut(rest, "#")
	typ, path, ok := strings.Cut(rest, "/")
	if !ok {
		return Package{}, false
	}
	path, version, _ := strings.Cut(path, "@")
	if v, err := url.PathUnescape(version); err == nil {
		version = v
	}
	p := Package{Type: typ, Name: path, Version: version}
	switch typ {
	case "golang":
		if p.Name == "std" { // cyclonedx-gomod's name for the standard library
			p.Name = "stdlib"
		}
	case "deb":
		p.Name = path[strings.LastIndex(path, "/")+1:] // drop the distro namespace
	}
	if c.Version != "" {
		p.Version = c.Version
	}
	return p, true
}

// Want is what an SBOM must name.
type Want struct {
	Modules   map[string]string // module path -> version, from go.mod
	GoVersion string            // the toolchain that built the binary, go1.26.8
	Debian    []string          // Debian packages that must be listed, with any version
}

// WantFromGoMod takes the required versions of the named modules from go.mod and checks
// that the toolchain version is one go.mod allows.
func WantFromGoMod(gomod []byte, goVersion string, modules ...string) (Want, error) {
	f, err := modfile.ParseLax("go.mod", gomod, nil)
	if err != nil {
		return Want{}, err
	}
	w := Want{Modules: map[string]string{}, GoVersion: goVersion}
	for _, m := range modules {
		for _, r := range f.Require {
			if r.Mod.Path == m {
				w.Modules[m] = r.Mod.Version
			}
		}
		if w.Modules[m] == "" {
			return Want{}, fmt.Errorf("go.mod does not require %s", m)
		}
	}
	if f.Go != nil && semver.Compare("v"+strings.TrimPrefix(goVersion, "go"), "v"+f.Go.Version) < 0 {
		return Want{}, fmt.Errorf("%s is older than go.mod's go %s", goVersion, f.Go.Version)
	}
	return w, nil
}

// Check returns one error per thing the SBOM misses or gets wrong, nil when it has it all.
func Check(d *Document, w Want) error {
	pkgs := d.Packages()
	find := func(typ, name string) []string {
		var versions []string
		for _, p := range pkgs {
			if p.Type == typ && p.Name == name {
				versions = append(versions, p.Version)
			}
		}
		return versions
	}
	var errs []error
	for m, v := range w.Modules {
		got := find("golang", m)
		switch {
		case len(got) == 0:
			errs = append(errs, fmt.Errorf("module %s is missing", m))
		case !slices.Contains(got, v):
			errs = append(errs, fmt.Errorf("module %s has version %s, go.mod requires %s", m, strings.Join(got, ", "), v))
		}
	}
	if w.GoVersion != "" {
		got := find("golang", "stdlib")
		want := strings.TrimPrefix(w.GoVersion, "go")
		ok := false
		for _, v := range got {
			ok = ok || strings.TrimPrefix(v, "go") == want
		}
		if !ok {
			errs = append(errs, fmt.Errorf("the Go standard library %s is missing (found %v)", w.GoVersion, got))
		}
	}
	for _, name := range w.Debian {
		got := find("deb", name)
		if len(got) == 0 || got[0] == "" {
			errs = append(errs, fmt.Errorf("the Debian package %s is missing", name))
		}
	}
	return errors.Join(errs...)
}
