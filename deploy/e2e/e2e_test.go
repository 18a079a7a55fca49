//go:build k8s

// Package e2e tests the manifests on a real cluster (make k8s-up): every overlay applied
// into a namespace that enforces Pod Security "restricted", served through its Service,
// rolled and drained under load. make test-k8s runs it with the variables below.
package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/testmake"
)

// env is what make test-k8s passes in.
var env struct {
	root       string // the repository
	kubectl    string // K8S_KUBECTL
	kubeconfig string // KUBECONFIG
	registry   string // K8S_REGISTRY, host:port of the cluster's registry
	version    string // VERSION: the tag the image targets gave the images
	plain      string // the plain image, registry/getsmall@sha256:...
	upx        string // the UPX image
}

func TestMain(m *testing.M) {
	err := setup()
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
	} else {
		code = m.Run()
	}
	if err := forgetRegistryNames(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		code = 1
	}
	os.Exit(code)
}

// forgetRegistryNames removes the local names make docker-push gave the images in the
// cluster's registry (the registry keeps the images; Docker need not remember them).
func forgetRegistryNames() error {
	docker := os.Getenv("DOCKER")
	if docker == "" {
		docker = "docker"
	}
	out, err := exec.Command(docker, "image", "ls", "--digests", "--format", "{{.Repository}} {{.Tag}} {{.Digest}}").Output() //nolint:gosec // the DOCKER make gave the test
	if err != nil {
		return fmt.Errorf("docker image ls: %w", err)
	}
	var refs []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != env.registry+"/getsmall" {
			continue
		}
		if f[2] != "<none>" {
			refs = append(refs, f[0]+"@"+f[2]) // digests first: untagging may drop them
		}
		if f[1] == env.version || f[1] == env.version+"-upx" {
			refs = append(refs, f[0]+":"+f[1])
		}
	}
	var errs []error
	for _, ref := range refs {
		if out, err := exec.Command(docker, "rmi", ref).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such image") { //nolint:gosec // names docker listed
			errs = append(errs, fmt.Errorf("docker rmi %s: %w: %s", ref, err, out))
		}
	}
	return errors.Join(errs...)
}

func setup() error {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return err
	}
	env.root = root
	for name, dst := range map[string]*string{
		"K8S_KUBECTL": &env.kubectl, "KUBECONFIG": &env.kubeconfig, "K8S_REGISTRY": &env.registry, "VERSION": &env.version,
	} {
		*dst = os.Getenv(name)
		if *dst == "" {
			return fmt.Errorf("%s is not set: run make test-k8s", name)
		}
	}
	if _, err := kubectl(nil, "get", "--raw", "/readyz"); err != nil {
		return fmt.Errorf("the cluster does not answer (make k8s-up): %w", err)
	}
	env.plain, env.upx, err = pushImages()
	return err
}

var pushedLine = regexp.MustCompile(`(?m)^pushed (\S+@sha256:[0-9a-f]{64})$`)

// pushImages pushes the images the build targets made to the cluster's registry with
// make docker-push, the way a user publishes them, and returns the plain and UPX images
// by digest. The digests come from the registry itself (each tag must name an image index
// that holds this node's platform), and must be among those docker-push printed.
func pushImages() (plain, upx string, err error) {
	version := env.version
	out, err := makeOut("docker-push", "REGISTRY="+env.registry, "VERSION="+version)
	if err != nil {
		return "", "", err
	}
	pushed := pushedLine.FindAllStringSubmatch(out, -1)
	refs := map[string]string{}
	for _, tag := range []string{version, version + "-upx"} {
		digest, err := registryDigest("getsmall", tag)
		if err != nil {
			return "", "", err
		}
		found := false
		for _, p := range pushed {
			found = found || strings.HasSuffix(p[1], "@"+digest)
		}
		if !found {
			return "", "", fmt.Errorf("make docker-push did not report getsmall:%s (%s):\n%s", tag, digest, out)
		}
		refs[tag] = env.registry + "/getsmall@" + digest
	}
	return refs[version], refs[version+"-upx"], nil
}

// indexTypes are the media types of a multi-platform image index.
var indexTypes = map[string]bool{
	"application/vnd.oci.image.index.v1+json":                   true,
	"application/vnd.docker.distribution.manifest.list.v2+json": true,
}

// registryDigest asks the registry which image index repo:tag names, and returns its
// digest and platforms: make docker-push pushes one index per variant, and containerd
// must pick this node's platform out of it.
func registryDigest(repo, tag string) (string, error) {
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://%s/v2/%s/manifests/%s", env.registry, repo, tag), http.NoBody)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", strings.Join([]string{
		"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json",
		"application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json",
	}, ", "))
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var index struct {
		Manifests []struct {
			Platform struct{ OS, Architecture, Variant string }
		}
	}
	digest, kind := resp.Header.Get("Docker-Content-Digest"), resp.Header.Get("Content-Type")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(digest, "sha256:") {
		return "", fmt.Errorf("registry %s has no %s:%s (%s)", env.registry, repo, tag, resp.Status)
	}
	if !indexTypes[kind] {
		return "", fmt.Errorf("%s:%s is a %s, want the image index make docker-push writes", repo, tag, kind)
	}
	if err := json.NewDecoder(resp.Body).Decode(&index); err != nil {
		return "", fmt.Errorf("%s:%s: %w", repo, tag, err)
	}
	var platforms []string
	for _, m := range index.Manifests {
		platforms = append(platforms, strings.TrimSuffix(m.Platform.OS+"/"+m.Platform.Architecture+"/"+m.Platform.Variant, "/"))
	}
	if !slices.Contains(platforms, runtime.GOOS+"/"+runtime.GOARCH) {
		return "", fmt.Errorf("%s:%s names %v, not this node's %s/%s", repo, tag, platforms, runtime.GOOS, runtime.GOARCH)
	}
	fmt.Fprintf(os.Stderr, "e2e: %s:%s is the index %s of %s\n", repo, tag, digest, strings.Join(platforms, ", "))
	return digest, nil
}

// makeOut runs a target of the project's Makefile and returns its output.
func makeOut(args ...string) (string, error) {
	out, err := testmake.Command(env.root, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("make %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}
