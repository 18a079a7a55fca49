// Command platforms lists the platform images behind a reference in a registry, one line
// each: "<os>/<arch>[/<variant>] <repository>@<digest>". An image index lists its
// platforms (attestation manifests and unknown platforms are left out); a single image
// lists itself with the platform in its configuration. make attest uses it to scan, and
// attach an SBOM to, every platform of what docker-push pushed.
//
//	platforms 127.0.0.1:5000/getsmall@sha256:...
//
// Registries on the loopback address are reached over plain HTTP, like Docker does.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: platforms REFERENCE")
		return 2
	}
	lines, err := platforms(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "platforms: %v\n", err)
		return 1
	}
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	return 0
}

func platforms(ref string) ([]string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, err
	}
	if loopback(r.Context().RegistryStr()) {
		if r, err = name.ParseReference(ref, name.Insecure); err != nil {
			return nil, err
		}
	}
	desc, err := remote.Get(r, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	if err != nil {
		return nil, err
	}
	repo := r.Context()
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		m, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		var out []string
		for _, d := range m.Manifests {
			if d.Platform == nil || d.Platform.OS == "unknown" || !d.MediaType.IsImage() {
				continue // BuildKit's attestation manifests
			}
			out = append(out, line(*d.Platform, repo, d.Digest))
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s: an index without platform images", ref)
		}
		return out, nil
	}
	img, err := desc.Image()
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	p := v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
	return []string{line(p, repo, desc.Digest)}, nil
}

func line(p v1.Platform, repo name.Repository, d v1.Hash) string {
	plat := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		plat += "/" + p.Variant
	}
	return plat + " " + repo.Name() + "@" + d.String()
}

// loopback reports whether a registry (host[:port]) is on this machine.
func loopback(registry string) bool {
	host, _, err := net.SplitHostPort(registry)
	if err != nil {
		host = registry
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
