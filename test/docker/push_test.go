//go:build docker

package docker

import (
	"bufio"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

var pushedLine = regexp.MustCompile(`(?m)^pushed (\S+@sha256:[0-9a-f]{64})$`)

// TestPushPull pushes what TestImages built to a registry on 127.0.0.1, removes one image
// entirely, pulls it back by digest and runs it.
func TestPushPull(t *testing.T) {
	v := version(t)
	registry := startRegistry(t)

	out := runMake(t, "docker-push", "REGISTRY="+registry)
	refs := pushedLine.FindAllStringSubmatch(out, -1)
	if len(refs) != len(images) {
		t.Fatalf("make docker-push pushed %d images, want %d:\n%s", len(refs), len(images), out)
	}
	for _, m := range refs {
		t.Logf("pushed %s", m[1])
	}
	// Everything docker-push named in the registry dies with it: drop those names at the end.
	t.Cleanup(func() { forgetRegistry(t, registry, v) })

	// The pushed references name the repository and digest; find the upx one by image ID.
	upxTag := "getsmall:" + v + "-upx"
	upxID := dockerOut(t, "image", "inspect", "-f", "{{.Id}}", upxTag)
	var upxRef string
	for _, m := range refs {
		id := dockerOut(t, "image", "inspect", "-f", "{{.Id}}", m[1])
		if id == upxID {
			upxRef = m[1]
		}
	}
	if upxRef == "" {
		t.Fatalf("no pushed digest belongs to %s", upxTag)
	}

	// Remove every local name of the upx image so the pull must fetch it. That includes
	// names this test did not make: a digest reference left by an earlier run against
	// another registry port keeps the image alive just like a tag does. Digest references
	// go first: untagging a repository's last tag drops its digest references too, and a
	// second rmi of those would fail.
	tags, digests := references(t, upxID)
	dockerOut(t, append([]string{"rmi"}, append(digests, tags...)...)...)
	if err := exec.Command(docker(), "image", "inspect", upxID).Run(); err == nil {
		t.Fatalf("image %s still present after removing %q and %q", upxID, tags, digests)
	}
	dockerOut(t, "pull", "-q", upxRef)
	if got := dockerOut(t, "image", "inspect", "-f", "{{.Id}}", upxRef); got != upxID {
		t.Fatalf("pulled %s as image %s, pushed %s", upxRef, got, upxID)
	}
	// Give back the names it had outside this test's registry, such as make docker-build-upx's tag.
	for _, tag := range tags {
		if !strings.HasPrefix(tag, registry+"/") {
			dockerOut(t, "tag", upxRef, tag)
		}
	}

	port := freePort(t)
	name := fmt.Sprintf("getsmall-pulled-%d", port)
	dockerOut(t, "run", "-d", "--name", name, "--network", "host", "-e", fmt.Sprintf("ADDR=127.0.0.1:%d", port),
		"--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--memory", "16m", upxRef)
	t.Cleanup(func() { _ = exec.Command(docker(), "rm", "-f", name).Run() })
	if got := get(t, fmt.Sprintf("http://127.0.0.1:%d/health", port)); got != http.StatusOK {
		t.Errorf("GET /health on the image pulled by digest = %d, want 200", got)
	}
}

// references lists the tags and the digest references (repo@sha256:...) of an image.
func references(t *testing.T, id string) (tags, digests []string) {
	t.Helper()
	tags = strings.Fields(dockerOut(t, "image", "inspect", "-f", "{{range .RepoTags}}{{println .}}{{end}}", id))
	digests = strings.Fields(dockerOut(t, "image", "inspect", "-f", "{{range .RepoDigests}}{{println .}}{{end}}", id))
	return tags, digests
}

// forgetRegistry removes the names that point into the test's registry from every image
// built for version v, so repeated runs do not pile up references to dead registries.
func forgetRegistry(t *testing.T, registry, v string) {
	t.Helper()
	for _, img := range images {
		id, err := exec.Command(docker(), "image", "inspect", "-f", "{{.Id}}", "getsmall:"+v+img.suffix).Output()
		if err != nil {
			continue // a failed test may have left it removed
		}
		tags, digests := references(t, strings.TrimSpace(string(id)))
		for _, ref := range append(digests, tags...) { // digests first, as in TestPushPull
			if strings.HasPrefix(ref, registry+"/") {
				if out, err := exec.Command(docker(), "rmi", ref).CombinedOutput(); err != nil {
					t.Errorf("docker rmi %s: %v\n%s", ref, err, out)
				}
			}
		}
	}
}

// startRegistry runs go-containerregistry's in-memory registry (pinned in tools/go.mod) on
// loopback and returns its host:port.
func startRegistry(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("go", "tool", "-modfile=tools/go.mod", "registry", "-port", "0")
	cmd.Dir = repoRoot
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`serving on port (\d+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				port <- m[1]
			}
		}
	}()
	select {
	case p := <-port:
		return "127.0.0.1:" + p
	case <-time.After(2 * time.Minute): // the first run compiles the registry
		t.Fatal("registry did not start")
		return ""
	}
}
