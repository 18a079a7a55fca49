// pkgCheck, what every package's check shares: the expected files, the control fields,
// the binary, the unit's MemoryDenyWriteExecute, and the SBOM beside the package.

package packaging

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// pkgCheck checks one package: the file pkg, built for target from the binary bin.
type pkgCheck struct {
	t      *testing.T
	b      built
	build  Build
	target Target
	pkg    string
	bin    string
	packed bool
}

// output runs a tool on the package and returns what it printed, or fails the test with
// what it said on stderr.
func (c *pkgCheck) output(name string, args ...string) string {
	c.t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			c.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, ee.Stderr)
		}
		c.t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return string(out)
}

// sha256Hex returns b's SHA-256, in hex.
func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// wantFiles are the files and their modes the package must hold, from the test's own table.
func (c *pkgCheck) wantFiles() map[string]string {
	out := map[string]string{}
	for dst, v := range fileSet[c.target.Format] {
		out[dst] = strings.Fields(v)[len(strings.Fields(v))-1]
	}
	return out
}

// checkBinary wants sum, the SHA-256 of the package's /usr/bin file, to be the binary's.
func (c *pkgCheck) checkBinary(sum string) {
	c.t.Helper()
	if sum != sha256Hex([]byte(mustRead(c.t, c.bin))) {
		c.t.Errorf("/usr/bin/%s is not %s", c.build.Name, c.bin)
	}
}

// controlFields reads a Debian-style control file (the .deb's and the .ipk's) into its
// fields; continuation lines are left out.
func controlFields(control string) map[string]string {
	fields := map[string]string{}
	for l := range strings.Lines(control) {
		if k, v, ok := strings.Cut(strings.TrimRight(l, "\n"), ": "); ok && !strings.HasPrefix(l, " ") {
			fields[k] = v
		}
	}
	return fields
}

// checkControl wants the control fields to hold want, a maintainer and no dependency: a
// static binary depends on nothing.
func (c *pkgCheck) checkControl(fields, want map[string]string) {
	c.t.Helper()
	for k, w := range want {
		if fields[k] != w {
			c.t.Errorf("control %s: %q, want %q", k, fields[k], w)
		}
	}
	if fields["Maintainer"] == "" || fields["Depends"] != "" {
		c.t.Errorf("control: Maintainer %q, Depends %q (a static binary depends on nothing)", fields["Maintainer"], fields["Depends"])
	}
}

// checkUnit wants MemoryDenyWriteExecute=yes in the plain build's service only.
func (c *pkgCheck) checkUnit(service string) {
	c.t.Helper()
	if has := slices.Contains(unitLines(service), "MemoryDenyWriteExecute=yes"); has == c.packed {
		c.t.Errorf("MemoryDenyWriteExecute=yes present %v in the %s build's unit", has, map[bool]string{true: "UPX-packed", false: "plain"}[c.packed])
	}
}

// sbom checks the SBOM next to the package: present when tools/ is, describing this
// VERSION, dated BUILD_DATE.
func (c *pkgCheck) sbom() {
	t := c.t
	raw, err := os.ReadFile(c.pkg + ".cdx.json")
	if !c.b.sboms {
		if err == nil {
			t.Error("an SBOM without tools/")
		}
		return
	}
	if err != nil {
		t.Fatalf("no SBOM: %v", err)
	}
	var doc struct {
		BOMFormat    string `json:"bomFormat"`
		SerialNumber string `json:"serialNumber"`
		Metadata     struct {
			Timestamp string `json:"timestamp"`
			Component struct {
				Name, Version string
			} `json:"component"`
		} `json:"metadata"`
		Components []struct{ Name, Version string } `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.BOMFormat != "CycloneDX" || !strings.HasPrefix(doc.SerialNumber, "urn:uuid:") || doc.Metadata.Timestamp != c.b.date.UTC().Format(time.RFC3339) ||
		doc.Metadata.Component.Version != c.b.describe || len(doc.Components) == 0 {
		t.Errorf("SBOM: format %q, serial %q, time %q, version %q, %d components", doc.BOMFormat, doc.SerialNumber, doc.Metadata.Timestamp, doc.Metadata.Component.Version, len(doc.Components))
	}
	if !slices.ContainsFunc(doc.Components, func(x struct{ Name, Version string }) bool { return x.Name == "github.com/valyala/fasthttp" }) {
		t.Error("the SBOM does not list fasthttp: was the plain binary scanned?")
	}
}
