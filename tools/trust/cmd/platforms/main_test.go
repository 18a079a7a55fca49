package main

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// platformImage is a random image whose config names a platform.
func platformImage(t *testing.T, p v1.Platform) v1.Image {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestPlatforms(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://") // 127.0.0.1:port: reached over HTTP
	repo, err := name.NewRepository(host+"/getsmall", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}

	amd64 := v1.Platform{OS: "linux", Architecture: "amd64"}
	armv7 := v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	single := platformImage(t, armv7)
	if err := remote.Write(repo.Tag("single"), single); err != nil {
		t.Fatal(err)
	}
	// An index as BuildKit writes it: two platforms and an attestation manifest.
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: platformImage(t, amd64), Descriptor: v1.Descriptor{Platform: &amd64}},
		mutate.IndexAddendum{Add: platformImage(t, armv7), Descriptor: v1.Descriptor{Platform: &armv7}},
		mutate.IndexAddendum{Add: platformImage(t, v1.Platform{}), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"}}},
	)
	if err := remote.WriteIndex(repo.Tag("multi"), idx); err != nil {
		t.Fatal(err)
	}
	idxDigest, _ := idx.Digest()
	singleDigest, _ := single.Digest()
	m, _ := idx.IndexManifest()

	var out, errOut bytes.Buffer
	if code := run([]string{repo.Name() + "@" + idxDigest.String()}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	want := "linux/amd64 " + repo.Name() + "@" + m.Manifests[0].Digest.String() + "\n" +
		"linux/arm/v7 " + repo.Name() + "@" + m.Manifests[1].Digest.String() + "\n"
	if out.String() != want {
		t.Errorf("index:\n%s\nwant:\n%s", out.String(), want)
	}

	out.Reset()
	if code := run([]string{repo.Name() + ":single"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if want := "linux/arm/v7 " + repo.Name() + "@" + singleDigest.String() + "\n"; out.String() != want {
		t.Errorf("single image: %q, want %q", out.String(), want)
	}

	out.Reset()
	errOut.Reset()
	if code := run([]string{repo.Name() + ":missing"}, &out, &errOut); code != 1 || errOut.Len() == 0 {
		t.Errorf("a missing tag: exit %d, stderr %q", code, errOut.String())
	}
	if code := run(nil, &out, &errOut); code != 2 {
		t.Errorf("no arguments: exit %d, want 2", code)
	}
}

func TestLoopback(t *testing.T) {
	for reg, want := range map[string]bool{
		"127.0.0.1:5000": true, "127.1.2.3": true, "localhost:5000": true, "[::1]:5000": true,
		"registry.example.com": false, "10.0.0.1:5000": false, "example.com:443": false,
	} {
		if got := loopback(reg); got != want {
			t.Errorf("loopback(%q) = %v, want %v", reg, got, want)
		}
	}
}
