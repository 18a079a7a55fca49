//go:build docker

package docker

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/getsmall/getsmall/internal/testmake"
)

var attestedLine = regexp.MustCompile(`(?m)^attested (\S+@sha256:[0-9a-f]{64}) \((\S+)\): (\S+)$`)

// TestTrust pushes the three images with a throwaway key, which attaches a signed SBOM to
// each, signs them by digest, pulls them back from the registry and verifies signature and
// SBOM, then moves the tag to a tampered image and checks that verification fails.
func TestTrust(t *testing.T) {
	plain := makeVar(t, "TAG_PLAIN")
	keys := t.TempDir()
	runMake(t, "keys", "KEY_PREFIX="+filepath.Join(keys, "ci"))
	key, pub := filepath.Join(keys, "ci.key"), filepath.Join(keys, "ci.pub")
	for _, img := range images { // TestImages built them; a cached build takes seconds
		if exec.Command(docker(), "image", "inspect", makeVar(t, img.tagVar)).Run() != nil {
			runMake(t, img.target)
		}
	}
	registry := startRegistry(t)

	out := runMake(t, "docker-push", "REGISTRY="+registry, "COSIGN_KEY="+key)
	t.Cleanup(func() { forgetRegistry(t, registry) })
	if n := len(pushedLine.FindAllString(out, -1)); n != len(images) {
		t.Fatalf("docker-push pushed %d images, want %d:\n%s", n, len(images), out)
	}
	if n := len(attestedLine.FindAllString(out, -1)); n < len(images) {
		t.Fatalf("docker-push attested %d SBOMs, want one per image at least:\n%s", n, out)
	}
	t.Log(strings.Join(attestedLine.FindAllString(out, -1), "\n"))
	runMake(t, "sign", "COSIGN_KEY="+key)

	pushed := pushedRefs(t) // local tag -> registry/getsmall@sha256:...
	for _, img := range images {
		tag := makeVar(t, img.tagVar)
		ref := pushed[tag]
		t.Run(img.name, func(t *testing.T) {
			if ref == "" {
				t.Fatalf("%s is not in bin/pushed.txt: %v", tag, pushed)
			}
			// Pull by digest: the registry must serve the very image that was built.
			dockerOut(t, "pull", "-q", ref)
			if got, want := dockerOut(t, "image", "inspect", "-f", "{{.Id}}", ref), dockerOut(t, "image", "inspect", "-f", "{{.Id}}", tag); got != want {
				t.Fatalf("pulled %s as %s, built %s as %s", ref, got, tag, want)
			}
			out := runMake(t, "verify", "VERIFY_IMAGES="+ref, "COSIGN_PUB="+pub)
			if !strings.Contains(out, "verified "+ref+": signature and SBOM attestation") {
				t.Errorf("make verify did not verify %s:\n%s", ref, out)
			}
			checkAttestedSBOM(t, ref, pub, img.name == "distroless")
		})
	}

	t.Run("wrong key", func(t *testing.T) {
		other := filepath.Join(keys, "other")
		runMake(t, "keys", "KEY_PREFIX="+other)
		ref := pushed[plain]
		if out, err := makeCmd("verify", "VERIFY_IMAGES="+ref, "COSIGN_PUB="+other+".pub"); err == nil {
			t.Errorf("%s verified with a key that never signed it:\n%s", ref, out)
		}
	})

	t.Run("tampered tag", func(t *testing.T) {
		// Same tag, different digest: the distroless image with one more label, pushed over it.
		tag := registry + "/" + plain
		build := exec.Command(docker(), "build", "-q", "--network", "host", "-t", tag, "-")
		build.Stdin = strings.NewReader("FROM " + plain + "\nLABEL tampered=yes\n")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build the tampered image: %v\n%s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command(docker(), "rmi", tag).Run() })
		dockerOut(t, "push", "-q", tag)
		tampered := dockerOut(t, "image", "inspect", "-f", "{{range .RepoDigests}}{{println .}}{{end}}", tag)
		if strings.Contains(tampered, pushed[plain]) {
			t.Fatalf("the tampered image has the signed digest: %s", tampered)
		}
		out, err := makeCmd("verify", "VERIFY_IMAGES="+tag, "COSIGN_PUB="+pub)
		if err == nil {
			t.Fatalf("make verify accepted the tampered %s:\n%s", tag, out)
		}
		if !strings.Contains(out, "signature NOT verified") {
			t.Errorf("make verify failed on the tampered tag for another reason:\n%s", out)
		}
		t.Logf("tampered %s: make verify failed as it must:\n%s", tag, lastLines(out, 3))
		// The signed digest still verifies: the signature follows the digest, not the tag.
		runMake(t, "verify", "VERIFY_IMAGES="+pushed[plain], "COSIGN_PUB="+pub)
	})
}

// pushedRefs reads bin/pushed.txt, which docker-push writes: "<local tag> <ref@digest>".
func pushedRefs(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "bin", "pushed.txt"))
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if tag, ref, ok := strings.Cut(line, " "); ok {
			refs[tag] = ref
		}
	}
	return refs
}

// makeCmd runs make and returns its output and error, for runs that must fail.
func makeCmd(args ...string) (string, error) {
	out, err := testmake.Command(repoRoot, append(args, makeVars()...)...).CombinedOutput()
	return string(out), err
}

// checkAttestedSBOM fetches the SBOM attestations of ref from the registry, verified with
// pub, and checks each SBOM against go.mod with sbomcheck (tools/trust).
func checkAttestedSBOM(t *testing.T, ref, pub string, debian bool) {
	t.Helper()
	cosign := strings.TrimSpace(runMake(t, "print-COSIGN"))
	cmd := exec.Command(cosign, "verify-attestation", "--key", pub, "--insecure-ignore-tlog=true", "--type", "cyclonedx", ref)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cosign verify-attestation %s: %v", ref, err)
	}
	dir := t.TempDir()
	var files []string
	for i, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var envelope struct{ Payload string }
		var statement struct {
			PredicateType string          `json:"predicateType"`
			Predicate     json.RawMessage `json:"predicate"`
		}
		if err := json.Unmarshal([]byte(line), &envelope); err != nil {
			t.Fatalf("attestation %d of %s: %v", i, ref, err)
		}
		payload, err := base64.StdEncoding.DecodeString(envelope.Payload)
		if err != nil {
			t.Fatalf("attestation %d of %s: %v", i, ref, err)
		}
		if err := json.Unmarshal(payload, &statement); err != nil {
			t.Fatalf("attestation %d of %s: %v", i, ref, err)
		}
		if statement.PredicateType != "https://cyclonedx.org/bom" {
			t.Errorf("attestation %d of %s has predicate type %q", i, ref, statement.PredicateType)
		}
		f := filepath.Join(dir, fmt.Sprintf("sbom-%d.json", i))
		if err := os.WriteFile(f, statement.Predicate, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	gomod, err := filepath.Abs(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-C", filepath.Join(repoRoot, "tools", "trust"), "run", "./cmd/sbomcheck",
		"-gomod", gomod, "-go", strings.TrimSpace(runMake(t, "print-GO_VERSION_NAME"))}
	if debian {
		args = append(args, "-debian", strings.TrimSpace(runMake(t, "print-SBOM_DEBIAN")))
	}
	check, err := exec.Command("go", append(args, files...)...).CombinedOutput()
	if err != nil {
		t.Errorf("the SBOM attested to %s misses what go.mod says:\n%s", ref, check)
	}
	t.Logf("%s", check)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestRelease builds dist/ with a throwaway key into a temporary directory and checks what
// a user downloads: one archive per platform (plain and UPX) holding the binary, LICENSE and
// README, an SBOM per platform, SHA256SUMS, signatures that verify, the same bytes from a
// second build, and a changed archive that fails verification.
func TestRelease(t *testing.T) {
	keys := t.TempDir()
	runMake(t, "keys", "KEY_PREFIX="+filepath.Join(keys, "ci"))
	key, pub := filepath.Join(keys, "ci.key"), filepath.Join(keys, "ci.pub")
	dist := filepath.Join(t.TempDir(), "dist")
	runMake(t, "dist", "COSIGN_KEY="+key, "DIST_DIR="+dist)

	sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	archives, _ := filepath.Glob(filepath.Join(dist, "*.tar.gz"))
	sboms, _ := filepath.Glob(filepath.Join(dist, "*.cdx.json"))
	t.Logf("%d archives, %d SBOMs:\n%s", len(archives), len(sboms), sums)
	if len(archives) == 0 || len(sboms) == 0 || len(archives) != 2*len(sboms) {
		t.Fatalf("want a plain and a UPX archive per SBOM, got %d archives and %d SBOMs", len(archives), len(sboms))
	}
	for _, a := range archives {
		if !strings.Contains(string(sums), filepath.Base(a)) {
			t.Errorf("SHA256SUMS does not list %s", filepath.Base(a))
		}
		if _, err := os.Stat(a + ".sigstore.json"); err != nil {
			t.Errorf("no signature for %s: %v", filepath.Base(a), err)
		}
		name := strings.TrimSuffix(filepath.Base(a), ".tar.gz")
		list, err := exec.Command("tar", "-tzf", a).Output()
		if err != nil {
			t.Fatalf("tar -tzf %s: %v", a, err)
		}
		for _, want := range []string{"/getsmall", "/LICENSE", "/README.md"} {
			if !strings.Contains(string(list), name+want+"\n") {
				t.Errorf("%s lacks %s%s:\n%s", filepath.Base(a), name, want, list)
			}
		}
	}
	runMake(t, "verify", "VERIFY_IMAGES=", "COSIGN_PUB="+pub, "DIST_DIR="+dist)

	// Reproducible: the same commit gives the same archives (the SBOMs carry a timestamp).
	again := filepath.Join(t.TempDir(), "dist")
	runMake(t, "dist", "COSIGN_KEY="+key, "DIST_DIR="+again)
	for _, a := range archives {
		x, _ := os.ReadFile(a)
		y, err := os.ReadFile(filepath.Join(again, filepath.Base(a)))
		if err != nil || string(x) != string(y) {
			t.Errorf("%s differs between two builds of the same commit (%v)", filepath.Base(a), err)
		}
	}

	// One changed byte in one archive, and verification names it.
	f, err := os.OpenFile(archives[0], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Write([]byte{0})
	if cerr := f.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	out, err := makeCmd("verify", "VERIFY_IMAGES=", "COSIGN_PUB="+pub, "DIST_DIR="+dist)
	if err == nil || !strings.Contains(out, filepath.Base(archives[0])+": signature NOT verified") {
		t.Errorf("a changed archive passed make verify (err %v):\n%s", err, out)
	}
}
