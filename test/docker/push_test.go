//go:build docker

package docker

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/test/internal/testbin"
)

var pushedLine = regexp.MustCompile(`(?m)^pushed (\S+@sha256:[0-9a-f]{64})$`)

// ociIndex is the part of an OCI image index the test reads.
type ociIndex struct {
	MediaType string `json:"mediaType"`
	Manifests []struct {
		Digest   string `json:"digest"`
		Platform struct {
			OS           string `json:"os"`
			Architecture string `json:"architecture"`
			Variant      string `json:"variant"`
		} `json:"platform"`
	} `json:"manifests"`
}

// TestPushPull pushes what TestImages built to a registry on 127.0.0.1 as one image index
// per variant, checks that each index names every platform, pulls every platform of every
// variant as a device of that platform would and runs it under emulation, then removes the
// UPX image entirely and pulls it back by digest.
func TestPushPull(t *testing.T) {
	registry := startRegistry(t)

	out := runMake(t, "docker-push", "REGISTRY="+registry)
	refs := pushedLine.FindAllStringSubmatch(out, -1)
	if len(refs) != len(images) {
		t.Fatalf("make docker-push pushed %d indexes, want %d:\n%s", len(refs), len(images), out)
	}
	for _, m := range refs {
		t.Logf("pushed %s", m[1])
	}
	// Everything docker-push named in the registry dies with it: drop those names at the end.
	t.Cleanup(func() { forgetRegistry(t, registry) })

	ps := platforms(t)
	host := makeVar(t, "HOST_PLATFORM")
	for _, img := range images {
		t.Run(img.name, func(t *testing.T) {
			tag := makeVar(t, img.tagVar)
			ref := registry + "/" + tag
			checkIndex(t, ref, ps)
			for _, p := range ps {
				pullAndRun(t, ref, tag+"-"+p.suffix, p, host)
			}
		})
	}
	pullUPXByDigest(t, registry, refs)
}

// checkIndex reads the index ref names and checks it lists exactly the platforms.
func checkIndex(t *testing.T, ref string, ps []platform) {
	t.Helper()
	cmd := exec.Command("go", "tool", "-modfile=tools/go.mod", "crane", "manifest", ref)
	cmd.Dir = repoRoot
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("crane manifest %s: %v", ref, err)
	}
	var idx ociIndex
	if err := json.Unmarshal(raw, &idx); err != nil {
		t.Fatalf("%s: %v\n%s", ref, err, raw)
	}
	if idx.MediaType != "application/vnd.oci.image.index.v1+json" {
		t.Errorf("%s: media type %q, want an OCI image index", ref, idx.MediaType)
	}
	listed := map[string]bool{}
	for _, m := range idx.Manifests {
		name := m.Platform.OS + "/" + m.Platform.Architecture
		if m.Platform.Variant != "" {
			name += "/" + m.Platform.Variant
		}
		listed[name] = true
	}
	for _, p := range ps {
		if !listed[p.name] {
			t.Errorf("%s does not list %s: %s", ref, p.name, raw)
		}
	}
	if len(idx.Manifests) != len(ps) {
		t.Errorf("%s lists %d manifests, want %d: %s", ref, len(idx.Manifests), len(ps), raw)
	}
}

// pullAndRun pulls ref for platform p, which must resolve to the image built locally as
// local, and runs it the way make docker-run does: /health 200, the process's user 65532,
// docker stop exits 0.
func pullAndRun(t *testing.T, ref, local string, p platform, host string) {
	t.Helper()
	dockerOut(t, "pull", "-q", "--platform", p.name, ref)
	var pulled, built imageInfo
	inspect(t, ref, &pulled)
	inspect(t, local, &built)
	if pulled.ID != built.ID {
		t.Errorf("%s for %s pulled image %s, built %s as %s", ref, p.name, pulled.ID, built.ID, local)
	}
	port := testbin.FreePort(t)
	name := fmt.Sprintf("getsmall-platform-%d", port)
	started := time.Now()
	dockerOut(t, "run", "-d", "--name", name, "--platform", p.name, "--network", "host",
		"-e", fmt.Sprintf("ADDR=127.0.0.1:%d", port), "--read-only", "--cap-drop", "ALL",
		"--security-opt", "no-new-privileges", "--memory", emulatedMemory(p, host), "--pids-limit", "64", ref)
	defer func() { _ = exec.Command(docker(), "rm", "-f", name).Run() }()
	if got := get(t, fmt.Sprintf("http://127.0.0.1:%d/health", port)); got != http.StatusOK {
		t.Errorf("%s on %s: GET /health = %d, want 200", ref, p.name, got)
	}
	answered := time.Since(started)
	if uid := processUID(t, name); uid != "65532" {
		t.Errorf("%s on %s: the server runs as uid %s, want 65532", ref, p.name, uid)
	}
	stopped := time.Now()
	dockerOut(t, "stop", name)
	took := time.Since(stopped)
	if code := dockerOut(t, "inspect", "-f", "{{.State.ExitCode}}", name); code != "0" {
		t.Errorf("%s on %s: docker stop: exit code %s, want 0", ref, p.name, code)
	}
	t.Logf("%s on %s: /health 200 %v after docker run, stopped in %v", ref, p.name,
		answered.Round(time.Millisecond), took.Round(time.Millisecond))
}

// processUID is the real UID of the container's main process, read from the host's /proc:
// under emulation that process is qemu running the server, with the server's credentials.
func processUID(t *testing.T, container string) string {
	t.Helper()
	pid := dockerOut(t, "inspect", "-f", "{{.State.Pid}}", container)
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Uid:"); ok {
			return strings.Fields(rest)[0]
		}
	}
	t.Fatalf("no Uid line in /proc/%s/status", pid)
	return ""
}

// pullUPXByDigest removes the host platform's UPX image entirely, pulls it back by the index
// digest docker-push printed, so the pull must fetch it, and runs it.
func pullUPXByDigest(t *testing.T, registry string, refs [][]string) {
	t.Helper()
	upxTag := makeVar(t, "TAG_UPX")
	upxID := dockerOut(t, "image", "inspect", "-f", "{{.Id}}", upxTag)
	cmd := exec.Command("go", "tool", "-modfile=tools/go.mod", "crane", "digest", registry+"/"+upxTag)
	cmd.Dir = repoRoot
	digest, err := cmd.Output()
	if err != nil {
		t.Fatalf("crane digest %s/%s: %v", registry, upxTag, err)
	}
	var upxRef string
	for _, m := range refs {
		if strings.HasSuffix(m[1], "@"+strings.TrimSpace(string(digest))) {
			upxRef = m[1]
		}
	}
	if upxRef == "" {
		t.Fatalf("no pushed digest is the index of %s (%s)", upxTag, digest)
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
	// Give back the names it had outside this test's registry, such as make docker-build-upx's tags.
	for _, tag := range tags {
		if !strings.HasPrefix(tag, registry+"/") {
			dockerOut(t, "tag", upxRef, tag)
		}
	}

	port := testbin.FreePort(t)
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

// forgetRegistry removes every local name that points into the test's registry (the pulls'
// tags and digest references), so repeated runs do not pile up references to dead registries.
func forgetRegistry(t *testing.T, registry string) {
	t.Helper()
	out := dockerOut(t, "image", "ls", "--digests", "--format", "{{.Repository}} {{.Tag}} {{.Digest}}")
	var digests, tags []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || !strings.HasPrefix(f[0], registry+"/") {
			continue
		}
		if f[2] != "<none>" {
			digests = append(digests, f[0]+"@"+f[2])
		}
		if f[1] != "<none>" {
			tags = append(tags, f[0]+":"+f[1])
		}
	}
	for _, ref := range append(digests, tags...) { // digests first, as in pullUPXByDigest
		if out, err := exec.Command(docker(), "rmi", ref).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such image") {
			t.Errorf("docker rmi %s: %v\n%s", ref, err, out)
		}
	}
}

// startRegistry runs go-containerregistry's in-memory registry (pinned in tools/go.mod) on
// loopback and returns its host:port. It runs the tool's binary itself, not `go tool`,
// which would leave the registry running when the test kills it.
func startRegistry(t *testing.T) string {
	t.Helper()
	build := exec.Command("go", "tool", "-n", "-modfile=tools/go.mod", "registry")
	build.Dir = repoRoot
	bin, err := build.Output() // builds it the first time
	if err != nil {
		t.Fatalf("go tool -n registry: %v", err)
	}
	cmd := exec.Command(strings.TrimSpace(string(bin)), "-port", "0")
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

// emulatedMemory is the memory limit of a run on platform p. The host's platform gets
// make docker-run's 16 MiB. Under qemu-user the cgroup also pays for the emulator and its
// translated code, which no device running the image pays, so foreign platforms get room for
// that: what is tested there is that the image runs, not its memory.
func emulatedMemory(p platform, host string) string {
	if p.name == host {
		return "16m"
	}
	return "64m"
}
