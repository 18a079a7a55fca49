//go:build docker

// Package docker tests the three images end to end through the make targets users type:
// build for every platform, a hardened run, health, no shell, a clean stop, size budgets,
// the binary's bytes on every platform, and a push of multi-platform indexes to a registry
// on 127.0.0.1, then a pull and an emulated run of every platform. It needs a running Docker
// engine (and qemu registered with binfmt_misc for foreign platforms), so it is behind the
// docker build tag: run it with `make test-docker` (OFFLINE=1 without a registry).
package docker

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/budget"
	"github.com/getsmall/getsmall/internal/testmake"
	"github.com/getsmall/getsmall/test/internal/testbin"
)

const repoRoot = "../.."

// image is one of the three variants. Its host-platform image must stay within the budget
// budgets.txt names image-<name>-bytes.
type image struct {
	name, target string
	tagVar       string // the Makefile variable naming its tag: TAG_PLAIN, TAG_UPX, TAG_ALPINE
	packed       bool   // holds the UPX-packed binary
}

var images = []image{
	{name: "distroless", target: "docker-build", tagVar: "TAG_PLAIN"},
	{name: "upx", target: "docker-build-upx", tagVar: "TAG_UPX", packed: true},
	{name: "alpine", target: "docker-build-alpine", tagVar: "TAG_ALPINE"},
}

// docker is the client the Makefile is told to use.
func docker() string {
	if d := os.Getenv("DOCKER"); d != "" {
		return d
	}
	return "docker"
}

// makeVars are passed to every make call: the same OFFLINE, UPX_FLAGS, FLOPPY and PLATFORMS
// as test-docker got.
func makeVars() []string {
	vars := []string{"DOCKER=" + docker()}
	for _, k := range []string{"OFFLINE", "UPX_FLAGS", "FLOPPY", "PLATFORMS"} {
		if v, ok := os.LookupEnv(k); ok {
			vars = append(vars, k+"="+v)
		}
	}
	return vars
}

// runMake runs a make target in the repository with makeVars and extra variables.
func runMake(t *testing.T, args ...string) string {
	t.Helper()
	out, err := testmake.Command(repoRoot, append(args, makeVars()...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// dockerOut runs the docker client and returns its trimmed output.
func dockerOut(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(docker(), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// makeVar is a variable as the Makefile computes it, read back from make itself, so that
// tags and file names have one definition.
func makeVar(t *testing.T, name string) string {
	t.Helper()
	return strings.TrimSpace(runMake(t, "print-"+name))
}

// platform is one entry of PLATFORMS and the suffix the Makefile gives its outputs.
type platform struct{ name, suffix string }

// os, arch and variant as an image config or an index names them.
func (p platform) parts() (os, arch, variant string) {
	f := strings.Split(p.name, "/")
	if len(f) == 3 {
		return f[0], f[1], f[2]
	}
	return f[0], f[1], ""
}

// platforms reads PLATFORM_PAIRS ("linux/arm/v7=linux-armv7 ...") from the Makefile.
func platforms(t *testing.T) []platform {
	t.Helper()
	var ps []platform
	for _, pair := range strings.Fields(makeVar(t, "PLATFORM_PAIRS")) {
		name, suffix, _ := strings.Cut(pair, "=")
		ps = append(ps, platform{name, suffix})
	}
	if len(ps) == 0 {
		t.Fatal("PLATFORMS is empty")
	}
	return ps
}

// get returns the status of GET url, retrying until the server answers or 10 s pass.
func get(t *testing.T, url string) int {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			return resp.StatusCode
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// inspect decodes `docker inspect` of one object.
func inspect(t *testing.T, ref string, v any) {
	t.Helper()
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(dockerOut(t, "inspect", ref)), &list); err != nil || len(list) != 1 {
		t.Fatalf("docker inspect %s: %v", ref, err)
	}
	if err := json.Unmarshal(list[0], v); err != nil {
		t.Fatal(err)
	}
}

type containerInfo struct {
	Config struct {
		User        string
		Healthcheck struct{ Test []string }
	}
	HostConfig struct {
		ReadonlyRootfs bool
		CapDrop        []string
		SecurityOpt    []string
		Memory         int64
	}
	State struct {
		Health struct {
			Status string
			Log    []struct {
				Start, End time.Time
				ExitCode   int
			}
		}
	}
}

type imageInfo struct {
	ID                        string `json:"Id"`
	Size                      int64
	Os, Architecture, Variant string
	Config                    struct {
		User        string
		Labels      map[string]string
		Healthcheck struct {
			Test     []string
			Interval time.Duration
		}
	}
}

// hostBuild builds every platform's binaries on the host with the same make variables, for
// comparison with what the images hold.
func hostBuild(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	runMake(t, "build-upx-all", "BIN_DIR="+dir)
	return dir
}

// hostBinary is the host-built file an image of img for p must hold.
func hostBinary(t *testing.T, binDir string, img image, p platform) string {
	t.Helper()
	name := makeVar(t, "NAME")
	if img.packed {
		name += "-upx"
	}
	return filepath.Join(binDir, name+"-"+p.suffix)
}

func TestImages(t *testing.T) {
	v := makeVar(t, "VERSION")
	budgets, err := budget.Load(repoRoot + "/budgets.txt")
	if err != nil {
		t.Fatal(err)
	}
	binDir := hostBuild(t)
	host := makeVar(t, "HOST_PLATFORM")

	for _, img := range images {
		t.Run(img.name, func(t *testing.T) {
			tag := makeVar(t, img.tagVar)
			started := time.Now()
			runMake(t, img.target)
			t.Logf("%s: built in %v", tag, time.Since(started).Round(100*time.Millisecond))

			var ii imageInfo
			inspect(t, tag, &ii)
			b, err := budgets.Get("image-" + img.name + "-bytes")
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d bytes (budget %d)", tag, ii.Size, b.Max)
			if err := b.Check(ii.Size); err != nil {
				t.Error(err)
			}
			if ii.Config.User != "65532:65532" {
				t.Errorf("image user %q, want 65532:65532", ii.Config.User)
			}
			if got := strings.Join(ii.Config.Healthcheck.Test, " "); got != "CMD /getsmall healthcheck" {
				t.Errorf("image healthcheck %q", got)
			}
			for _, l := range []string{"title", "description", "version", "revision", "created", "source", "licenses"} {
				if ii.Config.Labels["org.opencontainers.image."+l] == "" {
					t.Errorf("label org.opencontainers.image.%s missing", l)
				}
			}
			if got := ii.Config.Labels["org.opencontainers.image.version"]; got != v {
				t.Errorf("version label %q, want %q", got, v)
			}
			checkPlatforms(t, img, tag, host, binDir)
			checkNoShell(t, tag)
			runHardened(t, tag, img.packed)
		})
	}
}

// checkSameBinary proves the image, built for platform, holds the bytes the Makefile builds
// on the host.
func checkSameBinary(t *testing.T, tag, platform, hostPath string) {
	t.Helper()
	id := dockerOut(t, "create", "--platform", platform, tag)
	defer dockerOut(t, "rm", id)
	inImage := filepath.Join(t.TempDir(), "getsmall")
	dockerOut(t, "cp", id+":/getsmall", inImage)
	a, err := os.ReadFile(inImage)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(hostPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Errorf("/getsmall in %s (%d bytes) differs from %s (%d bytes)", tag, len(a), hostPath, len(b))
	}
}

func checkNoShell(t *testing.T, tag string) {
	t.Helper()
	for _, sh := range []string{"/bin/sh", "/bin/busybox", "/bin/bash"} {
		out, err := exec.Command(docker(), "run", "--rm", "--network", "none", "--entrypoint", sh, tag, "-c", "true").CombinedOutput()
		if err == nil {
			t.Errorf("%s runs in %s: %s", sh, tag, out)
		}
	}
}

// runHardened runs the image through make docker-run, as a user would, then checks the
// answers, the hardening (the memory limit docker-run gives the image: 24 MiB where the
// binary is packed, since the server and each probe unpack it), the health status and a
// clean, quick stop.
func runHardened(t *testing.T, tag string, packed bool) {
	t.Helper()
	port := testbin.FreePort(t)
	name := fmt.Sprintf("getsmall-test-%d", port)
	// No bridge network on CI machines: host networking, bound to loopback by ADDR.
	runMake(t, "docker-run", "RUN_TAG="+strings.TrimPrefix(tag, "getsmall:"),
		fmt.Sprintf("DOCKER_RUN_PUBLISH=--network host -e ADDR=127.0.0.1:%d", port),
		"DOCKER_RUN_FLAGS=-d --name "+name+" --health-interval 1s")
	t.Cleanup(func() { _ = exec.Command(docker(), "rm", "-f", name).Run() })
	// docker-run passes --rm: start waiting now to learn the exit code later.
	exitCode := make(chan string, 1)
	go func() {
		out, _ := exec.Command(docker(), "wait", name).Output()
		exitCode <- strings.TrimSpace(string(out))
	}()

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if got := get(t, base+"/health"); got != http.StatusOK {
		t.Errorf("GET /health = %d, want 200", got)
	}
	if got := get(t, base+"/nope"); got != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", got)
	}

	memory := int64(16 << 20)
	if packed {
		memory = 24 << 20
	}
	var ci containerInfo
	inspect(t, name, &ci)
	hc := ci.HostConfig
	if ci.Config.User != "65532:65532" || !hc.ReadonlyRootfs || strings.Join(hc.CapDrop, ",") != "ALL" ||
		!strings.Contains(strings.Join(hc.SecurityOpt, ","), "no-new-privileges") || hc.Memory != memory {
		t.Errorf("container not hardened: user %q, %+v", ci.Config.User, hc)
	}

	deadline := time.Now().Add(20 * time.Second)
	for ci.State.Health.Status != "healthy" {
		if time.Now().After(deadline) {
			t.Fatalf("container health %q after 20 s: %+v", ci.State.Health.Status, ci.State.Health.Log)
		}
		time.Sleep(200 * time.Millisecond)
		select {
		case code := <-exitCode: // docker-run's --rm removes it: inspect would only say it is gone
			t.Fatalf("container exited with code %s before it was healthy (137: killed, as by the OOM killer)", code)
		default:
		}
		inspect(t, name, &ci)
	}
	if log := ci.State.Health.Log; len(log) > 0 {
		last := log[len(log)-1]
		t.Logf("%s: healthy; one HEALTHCHECK exec took %v (docker exec included)", tag, last.End.Sub(last.Start).Round(time.Millisecond))
	}

	started := time.Now()
	dockerOut(t, "stop", name)
	took := time.Since(started)
	code := <-exitCode
	t.Logf("%s: docker stop took %v, exit code %s", tag, took.Round(time.Millisecond), code)
	if code != "0" || took > 2*time.Second {
		t.Errorf("docker stop: exit code %s after %v, want 0 within 2 s", code, took)
	}
}
