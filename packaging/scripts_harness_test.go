// The stand-in harness the script tests run maintainer and init scripts in: a PATH of
// recording stubs and a few real text tools, and what it recorded.

package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// scriptsOf returns a format's maintainer scripts, by nfpm's names, and its init script, as
// "init".
func scriptsOf(t *testing.T, f Format) map[string][]byte {
	t.Helper()
	c := contentsOf(t, testBuild(t, true), f)
	out := c.Scripts.byName()
	for _, file := range c.Files {
		if strings.HasPrefix(file.Dst, "/etc/init.d/") {
			out["init"] = file.Content
		}
	}
	return out
}

// harness runs scripts with stand-ins for the commands they may call: each stub records its
// name and arguments, one call per line, and exits with $STUB_<NAME>_EXIT (0 by default).
type harness struct {
	dir, stubs, log string
}

// realTools are what the scripts may run for real: text tools, nothing that changes the
// system.
var realTools = []string{"sh", "awk", "sed", "grep", "cat", "tr", "sort", "env", "mkdir", "basename", "printf"}

// newHarness makes a harness whose PATH holds the real tools and a recording stub for each
// of stubs.
func newHarness(t *testing.T, stubs ...string) *harness {
	t.Helper()
	h := &harness{dir: t.TempDir()}
	h.stubs = filepath.Join(h.dir, "bin")
	h.log = filepath.Join(h.dir, "calls")
	if err := os.MkdirAll(h.stubs, 0o750); err != nil {
		t.Fatal(err)
	}
	for _, tool := range realTools {
		h.realTool(t, tool)
	}
	for _, s := range stubs {
		h.stub(t, s, "")
	}
	return h
}

// realTool links the system's tool onto the harness's PATH, to run for real.
func (h *harness) realTool(t *testing.T, tool string) {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s not found: %v", tool, err)
	}
	if err := os.Symlink(p, filepath.Join(h.stubs, tool)); err != nil {
		t.Fatal(err)
	}
}

// stub writes a recording command; body runs after the record, before the exit.
func (h *harness) stub(t *testing.T, name, body string) {
	t.Helper()
	v := "STUB_" + strings.NewReplacer("-", "_").Replace(strings.ToUpper(name)) + "_EXIT"
	script := "#!/bin/sh\nprintf '%s\\n' \"" + name + " $*\" >>\"$CALLS\"\n" + body + "\nexit ${" + v + ":-0}\n"
	h.executable(t, name, script)
}

// run runs a script with args and env; it returns the calls it made and its output.
func (h *harness) run(t *testing.T, script []byte, env []string, args ...string) (calls []string, out string, err error) {
	t.Helper()
	path := filepath.Join(h.dir, "script")
	mustWrite(t, path, string(script), 0o600)
	_ = os.Remove(h.log)
	cmd := exec.Command(filepath.Join(h.stubs, "sh"), append([]string{path}, args...)...)
	cmd.Env = append([]string{"PATH=" + h.stubs, "CALLS=" + h.log, "HOME=" + h.dir}, env...)
	o, err := cmd.CombinedOutput()
	raw, _ := os.ReadFile(h.log)
	for l := range strings.Lines(string(raw)) {
		calls = append(calls, strings.TrimSpace(l))
	}
	return calls, string(o), err
}

// executable puts script on the harness's PATH as name, in place of what was there: the
// real tool's link is removed first, never written through.
func (h *harness) executable(t *testing.T, name, script string) {
	t.Helper()
	p := filepath.Join(h.stubs, name)
	_ = os.Remove(p)
	if err := os.WriteFile(p, []byte(script), 0o700); err != nil { //nolint:gosec // an executable stand-in
		t.Fatal(err)
	}
}

// recordShell defines rec, which the shell stand-ins of procd and openrc-run call to record
// one call: its words, tab-separated, as one line of $CALLS.
const recordShell = `
rec() { line=$1; shift; for a in "$@"; do line="$line	$a"; done; printf '%s\n' "$line" >>"$CALLS"; }
`

// runRecorded runs a shell stand-in that sources the script under test and records with
// rec; it returns each record's words, and fails the test when the stand-in fails.
func (h *harness) runRecorded(t *testing.T, standIn string, env []string) [][]string {
	t.Helper()
	calls, out, err := h.run(t, []byte(standIn), env)
	if err != nil {
		t.Fatalf("harness: %v\n%s", err, out)
	}
	var recs [][]string
	for _, c := range calls {
		recs = append(recs, strings.Split(c, "\t"))
	}
	return recs
}

// findRecord returns the first record that starts with words, or nil.
func findRecord(recs [][]string, words ...string) []string {
	for _, r := range recs {
		if len(r) >= len(words) && slices.Equal(r[:len(words)], words) {
			return r
		}
	}
	return nil
}

// countLines counts the lines of a file that start with prefix.
func countLines(t *testing.T, path, prefix string) int {
	t.Helper()
	n := 0
	for l := range strings.Lines(mustRead(t, path)) {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// systemdRunning tells whether systemd is the init system here, as the maintainer scripts
// ask before they reload or restart it.
func systemdRunning() bool { return exists("/run/systemd/system") }
