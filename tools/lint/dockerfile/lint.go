// Package dockerfile checks Dockerfiles the way `docker build --check` does, with BuildKit's
// own parser and linter, and adds this project's rules for images that run without a shell:
// base images as ARGs with fixed tags, a numeric non-root USER, exec-form ENTRYPOINT and
// HEALTHCHECK, COPY rather than ADD, and nothing in the final stage that needs a shell.
//
// It runs offline: base images are never resolved. BuildKit's checks that only look at the
// Dockerfile all run; the one that compares a base image's platform with the target sees a
// stand-in configuration of the requested platform, so it never fires here.
package dockerfile

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Finding is one broken rule at one line of a Dockerfile.
type Finding struct {
	Rule     string // the BuildKit rule name (FromAsCasing...) or one of Rules
	Line     int    // 1-based; 0 when the rule is about the whole file
	Message  string
	BuildKit bool // reported by BuildKit's linter rather than this package's rules
}

func (f Finding) String() string {
	origin := "getsmall"
	if f.BuildKit {
		origin = "buildkit"
	}
	return fmt.Sprintf("%d: %s (%s): %s", f.Line, f.Rule, origin, f.Message)
}

// Lint parses src and returns every finding, BuildKit's and this project's, sorted by line.
// An error means the Dockerfile could not be parsed at all.
func Lint(src []byte) ([]Finding, error) {
	findings, err := buildkitLint(src)
	if err != nil {
		return nil, err
	}
	own, err := projectLint(src)
	if err != nil {
		return nil, err
	}
	findings = append(findings, own...)
	sort.SliceStable(findings, func(i, j int) bool { return findings[i].Line < findings[j].Line })
	return findings, nil
}

// buildkitLint runs BuildKit's DockerfileLint, the code behind `docker build --check`, with
// every stage checked and its default (non-experimental) rules.
func buildkitLint(src []byte) ([]Finding, error) {
	// The source map only labels the results; lint needs no build context behind it.
	sourceMap := llb.NewSourceMap(nil, "Dockerfile", "Dockerfile", src)
	sourceMap.Definition = &llb.Definition{}
	res, err := dockerfile2llb.DockerfileLint(context.Background(), src, dockerfile2llb.ConvertOpt{
		Config:       dockerui.Config{},
		SourceMap:    sourceMap,
		MetaResolver: offlineResolver{},
	})
	if err != nil {
		return nil, err
	}
	var out []Finding
	// A build error (a base image name that expands to nothing...) ends BuildKit's checks
	// early; it is a finding like the others, and this project's rules still run.
	if res.Error != nil {
		line := 0
		if len(res.Error.Location.Ranges) > 0 && res.Error.Location.Ranges[0].Start != nil {
			line = int(res.Error.Location.Ranges[0].Start.Line)
		}
		out = append(out, Finding{Rule: "BuildError", Line: line, Message: res.Error.Message, BuildKit: true})
	}
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil && len(w.Location.Ranges) > 0 && w.Location.Ranges[0].Start != nil {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		out = append(out, Finding{Rule: w.RuleName, Line: line, Message: w.Detail, BuildKit: true})
	}
	return out, nil
}

// offlineResolver stands in for a registry: every base image is a one-layer image of the
// platform asked for. The checks need a configuration; none of them needs the real one.
type offlineResolver struct{}

func (offlineResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	platform := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		platform = *opt.ImageOpt.Platform
	}
	cfg := ocispecs.Image{
		Platform: platform,
		RootFS:   ocispecs.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromString(ref)}},
	}
	dt, err := json.Marshal(cfg)
	return ref, "", dt, err
}
