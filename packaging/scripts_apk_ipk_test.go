// The .apk's, the .ipk's and the OpenWrt .apk's maintainer scripts, which make and remove
// the service user, run against busybox's user commands and OpenWrt's functions.sh stood
// in by make test-packages-apk's own stand-ins.

package packaging

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// standIns is where make test-packages-apk's stand-ins are: these tests run the same ones.
const standIns = "apk/standin"

// busyboxUsers puts busybox's user and group commands on the harness's PATH: the stand-ins
// Alpine's root gets, recording each call, over a fake /etc at root (their ROOT). grep and
// awk read it in place of the real one when the scripts name /etc.
func busyboxUsers(t *testing.T, h *harness, root string) {
	t.Helper()
	for _, f := range []string{"passwd", "group", "shadow"} {
		mustWrite(t, filepath.Join(root, "etc", f), "root:x:0:0:root:/root:/bin/sh\n", 0o600)
	}
	fakeEtc := `for a in "$@"; do case $a in /etc/passwd | /etc/group) a="$ROOT$a" ;; esac; set -- "$@" "$a"; shift; done; `
	grep, _ := exec.LookPath("grep")
	awk, _ := exec.LookPath("awk")
	for name, real := range map[string]string{"grep": grep, "awk": awk} {
		h.executable(t, name, "#!/bin/sh\n"+fakeEtc+"exec "+real+" \"$@\"\n")
	}
	h.realTool(t, "cut")
	h.realTool(t, "date")
	for _, name := range []string{"addgroup", "adduser", "deluser", "delgroup"} {
		abs, err := filepath.Abs(filepath.Join(standIns, "alpine/usr/sbin", name))
		if err != nil {
			t.Fatal(err)
		}
		h.stub(t, name, `sh `+abs+` "$@" || exit 1`)
	}
	h.stub(t, "id", `[ "$1" = -u ] && shift; awk -F: -v u="$1" '$1 == u { found = 1 } END { exit !found }' "$ROOT/etc/passwd" || exit 1`)
}

// TestAPKScripts runs the .apk's scripts against busybox stand-ins: the user is made once,
// however often the script runs, removed with the package, and one the administrator made
// is left alone.
func TestAPKScripts(t *testing.T) {
	t.Parallel()
	s := scriptsOf(t, APK)
	if !bytes.Equal(s["preinstall"], s["preupgrade"]) {
		t.Error(".pre-upgrade differs from .pre-install: an upgrade from a version without the user must make it too")
	}
	h := newHarness(t, "rc-service", "rc-update")
	root := filepath.Join(h.dir, "root")
	busyboxUsers(t, h, root)
	env := []string{"ROOT=" + root}
	passwd, group := filepath.Join(root, "etc/passwd"), filepath.Join(root, "etc/group")

	calls, out, err := h.run(t, s["preinstall"], env)
	if err != nil || !slices.Equal(calls, []string{"addgroup -S getsmall", "id -u getsmall",
		"adduser -S -D -H -h /dev/null -s /sbin/nologin -G getsmall -g getsmall service (package) getsmall"}) {
		t.Errorf(".pre-install: %q, %v\n%s", calls, err, out)
	}
	if calls, _, err := h.run(t, s["preinstall"], env); err != nil || slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, "add") }) {
		t.Errorf(".pre-install again: %q, %v; want no new user or group", calls, err)
	}
	if countLines(t, passwd, "getsmall:") != 1 || countLines(t, group, "getsmall:") != 1 {
		t.Errorf("after two runs: %d users, %d groups named getsmall; want one each", countLines(t, passwd, "getsmall:"), countLines(t, group, "getsmall:"))
	}
	calls, _, err = h.run(t, s["postupgrade"], env)
	if err != nil || !slices.Equal(calls, []string{"rc-service --ifstarted getsmall restart"}) {
		t.Errorf(".post-upgrade: %q, %v; want a restart if it runs", calls, err)
	}
	calls, _, err = h.run(t, s["preremove"], env)
	if err != nil || !slices.Equal(calls, []string{"rc-service --ifstarted getsmall stop", "rc-update --all del getsmall"}) {
		t.Errorf(".pre-deinstall: %q, %v", calls, err)
	}
	for range 2 {
		if _, out, err := h.run(t, s["postremove"], env); err != nil {
			t.Errorf(".post-deinstall: %v\n%s", err, out)
		}
	}
	if countLines(t, passwd, "getsmall:") != 0 || countLines(t, group, "getsmall:") != 0 {
		t.Errorf(".post-deinstall left the user or group:\n%s", mustRead(t, passwd)+mustRead(t, group))
	}
	// An administrator's own user of that name stays.
	mustWrite(t, passwd, "getsmall:x:1000:1000:Someone:/home/g:/bin/sh\n", 0o600)
	if calls, _, _ := h.run(t, s["postremove"], env); slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, "del") }) {
		t.Errorf(".post-deinstall with an administrator's user: %q; want it left", calls)
	}
}

// openwrtRoot makes an OpenWrt image root for the harness: its /etc, and as its
// /lib/functions.sh the stand-in OpenWrt's root gets, with default_postinst,
// default_prerm and add_group_and_user recording their call instead.
func openwrtRoot(t *testing.T, h *harness) string {
	t.Helper()
	h.realTool(t, "cut")
	root := filepath.Join(h.dir, "root")
	functions := mustRead(t, filepath.Join(standIns, "openwrt/lib/functions.sh")) + `
default_postinst() { printf '%s\n' "default_postinst${*:+ $*}${PKG_UPGRADE:+ (upgrade)}" >>"$CALLS"; }
default_prerm() { printf '%s\n' "default_prerm $*" >>"$CALLS"; }
add_group_and_user() { printf '%s\n' "add_group_and_user $root $pkgname" >>"$CALLS"; }
`
	for f, content := range map[string]string{ //nolint:gosec // a fake /etc, no credentials
		"etc/passwd": "root:x:0:0:root:/root:/bin/ash\n", "etc/group": "root:x:0:\n",
		"etc/shadow": "root:::0:99999:7:::\n", "lib/functions.sh": functions,
	} {
		mustWrite(t, filepath.Join(root, f), content, 0o600)
	}
	return root
}

// TestIPKScripts runs the .ipk's scripts on an image root (IPKG_INSTROOT) with OpenWrt's
// helpers stood in: the user made once, OpenWrt's default_postinst and default_prerm
// called with the script's own path, the user removed after the package.
func TestIPKScripts(t *testing.T) {
	t.Parallel()
	s := scriptsOf(t, IPK)
	h := newHarness(t, "lock")
	root := openwrtRoot(t, h)
	env := []string{"IPKG_INSTROOT=" + root}
	for range 2 {
		calls, out, err := h.run(t, s["postinstall"], env, "configure")
		if err != nil || len(calls) != 1 || !strings.HasPrefix(calls[0], "default_postinst ") || !strings.HasSuffix(calls[0], "/script configure") {
			t.Errorf("postinst: %q, %v; want OpenWrt's default_postinst with the script and its arguments\n%s", calls, err, out)
		}
	}
	for _, f := range []string{"passwd", "shadow", "group"} {
		if n := countLines(t, filepath.Join(root, "etc", f), "getsmall:"); n != 1 {
			t.Errorf("after two postinst runs, /etc/%s has %d getsmall lines; want 1:\n%s", f, n, mustRead(t, filepath.Join(root, "etc", f)))
		}
	}
	if !strings.Contains(mustRead(t, filepath.Join(root, "etc/passwd")), "getsmall:x:32768:32768:getsmall service (package):") {
		t.Errorf("the user: %s", mustRead(t, filepath.Join(root, "etc/passwd")))
	}
	if calls, _, err := h.run(t, s["preremove"], env, "remove"); err != nil || len(calls) != 1 || !strings.HasPrefix(calls[0], "default_prerm ") {
		t.Errorf("prerm: %q, %v; want OpenWrt's default_prerm", calls, err)
	}
	// An upgrade keeps the user; a removal deletes it, once.
	if _, _, err := h.run(t, s["postremove"], append(env, "PKG_UPGRADE=1"), "remove"); err != nil || countLines(t, filepath.Join(root, "etc/passwd"), "getsmall:") != 1 {
		t.Errorf("postrm during an upgrade: %v; the user must stay", err)
	}
	for range 2 {
		if _, out, err := h.run(t, s["postremove"], env, "remove"); err != nil {
			t.Errorf("postrm: %v\n%s", err, out)
		}
	}
	for _, f := range []string{"passwd", "shadow", "group"} {
		if n := countLines(t, filepath.Join(root, "etc", f), "getsmall:"); n != 0 {
			t.Errorf("after postrm, /etc/%s still has getsmall", f)
		}
	}
	if n := countLines(t, filepath.Join(root, "etc/passwd"), "root:"); n != 1 {
		t.Errorf("postrm touched other users: %s", mustRead(t, filepath.Join(root, "etc/passwd")))
	}
	// Outside OpenWrt (no functions.sh) the scripts do nothing, successfully.
	if calls, _, err := h.run(t, s["postinstall"], []string{"IPKG_INSTROOT=" + h.dir + "/none"}, "configure"); err != nil || len(calls) != 0 {
		t.Errorf("postinst without OpenWrt: %q, %v", calls, err)
	}
}

// TestOpenWrtAPKScripts runs the OpenWrt .apk's scripts as OpenWrt's apk does, with
// OpenWrt's helpers stood in: the user made before the files (pre-install and
// pre-upgrade), OpenWrt's add_group_and_user and default_postinst after them, with
// PKG_UPGRADE=1 on an upgrade, default_prerm on removal, and the user removed after it.
func TestOpenWrtAPKScripts(t *testing.T) {
	t.Parallel()
	s := scriptsOf(t, APK3)
	h := newHarness(t, "lock")
	root := openwrtRoot(t, h)
	env := []string{"IPKG_INSTROOT=" + root}
	for _, name := range []string{"preinstall", "preupgrade"} {
		if calls, out, err := h.run(t, s[name], env); err != nil || len(calls) != 0 {
			t.Errorf("%s: %q, %v\n%s", name, calls, err, out)
		}
		if n := countLines(t, filepath.Join(root, "etc/passwd"), "getsmall:x:32768:32768:getsmall service (package):"); n != 1 {
			t.Errorf("after %s, %d marked users getsmall; want 1", name, n)
		}
	}
	for name, want := range map[string][]string{
		"postinstall": {"add_group_and_user " + root + " getsmall", "default_postinst"},
		"postupgrade": {"add_group_and_user " + root + " getsmall", "default_postinst (upgrade)"},
		"preremove":   {"default_prerm"},
		"postremove":  nil,
	} {
		if calls, out, err := h.run(t, s[name], env); err != nil || !slices.Equal(calls, want) {
			t.Errorf("%s: %q, %v; want %q\n%s", name, calls, err, want, out)
		}
	}
	if n := countLines(t, filepath.Join(root, "etc/passwd"), "getsmall:"); n != 0 {
		t.Errorf("post-deinstall left the user:\n%s", mustRead(t, filepath.Join(root, "etc/passwd")))
	}
	if !bytes.HasPrefix(s["postupgrade"], []byte("#!/bin/sh\nexport PKG_UPGRADE=1\n")) || !bytes.HasSuffix(s["postupgrade"], s["postinstall"][len("#!/bin/sh\n"):]) {
		t.Errorf("post-upgrade is not post-install with PKG_UPGRADE=1:\n%s", s["postupgrade"])
	}
}
