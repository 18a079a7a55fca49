// The .apk's and the .ipk's maintainer scripts, which make and remove the service user,
// run against busybox's user commands and OpenWrt's functions.sh stood in.

package packaging

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// busyboxUsers are stand-ins for busybox's user and group commands over a fake /etc: grep
// and awk read it in place of the real one.
func busyboxUsers(t *testing.T, h *harness, root string) {
	t.Helper()
	for _, f := range []string{"passwd", "group"} {
		mustWrite(t, filepath.Join(root, "etc", f), "root:x:0:0:root:/root:/bin/sh\n", 0o600)
	}
	fakeEtc := `for a in "$@"; do case $a in /etc/passwd | /etc/group) a="$ROOT$a" ;; esac; set -- "$@" "$a"; shift; done; `
	grep, _ := exec.LookPath("grep")
	awk, _ := exec.LookPath("awk")
	for name, real := range map[string]string{"grep": grep, "awk": awk} {
		h.executable(t, name, "#!/bin/sh\n"+fakeEtc+"exec "+real+" \"$@\"\n")
	}
	h.stub(t, "addgroup", `eval "name=\${$#}"; echo "$name:x:101:" >>"$ROOT/etc/group"`)
	h.stub(t, "adduser", `eval "name=\${$#}"; gecos=; while [ $# -gt 1 ]; do [ "$1" = -g ] && gecos=$2; shift; done
echo "$name:x:101:101:$gecos:/dev/null:/sbin/nologin" >>"$ROOT/etc/passwd"`)
	h.stub(t, "deluser", `sed -i "/^$1:/d" "$ROOT/etc/passwd"; sed -i "/^$1:/d" "$ROOT/etc/group"`)
	h.stub(t, "delgroup", `sed -i "/^$1:/d" "$ROOT/etc/group"`)
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

// openwrtFunctions stands in for OpenWrt's /lib/functions.sh: the user helpers work on
// $IPKG_INSTROOT/etc as OpenWrt's do, default_postinst and default_prerm record their call.
const openwrtFunctions = `
user_exists() { grep -qs "^${1}:" "${IPKG_INSTROOT}/etc/passwd"; }
group_add_next() {
	gid=$(grep -s "^${1}:" "${IPKG_INSTROOT}/etc/group" | cut -d: -f3)
	if [ -z "$gid" ]; then gid=32768; echo "${1}:x:${gid}:" >>"${IPKG_INSTROOT}/etc/group"; fi
	echo "$gid"
}
user_add() { echo "${1}:x:32768:${3}:${4:-$1}:${5:-/var/run/$1}:${6:-/bin/false}" >>"${IPKG_INSTROOT}/etc/passwd"; echo "${1}:x:0:0:99999:7:::" >>"${IPKG_INSTROOT}/etc/shadow"; }
default_postinst() { printf '%s\n' "default_postinst $*" >>"$CALLS"; }
default_prerm() { printf '%s\n' "default_prerm $*" >>"$CALLS"; }
`

// TestIPKScripts runs the .ipk's scripts on an image root (IPKG_INSTROOT) with OpenWrt's
// helpers stood in: the user made once, OpenWrt's default_postinst and default_prerm
// called with the script's own path, the user removed after the package.
func TestIPKScripts(t *testing.T) {
	t.Parallel()
	s := scriptsOf(t, IPK)
	h := newHarness(t, "lock")
	h.realTool(t, "cut")
	root := filepath.Join(h.dir, "root")
	for f, content := range map[string]string{ //nolint:gosec // a fake /etc, no credentials
		"etc/passwd": "root:x:0:0:root:/root:/bin/ash\n", "etc/group": "root:x:0:\n",
		"etc/shadow": "root:::0:99999:7:::\n", "lib/functions.sh": openwrtFunctions,
	} {
		mustWrite(t, filepath.Join(root, f), content, 0o600)
	}
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
