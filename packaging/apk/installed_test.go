//go:build apktools

// What an installed package must have put in the root: the files the package declares
// with their modes and owners, the service user, the binary of its release, a clean audit,
// and on OpenWrt the enabled, started service.

package apk

import (
	"crypto/md5" //nolint:gosec // procd compares files by MD5; the stand-in records it
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/getsmall/getsmall/packaging"
)

// marker is the comment the packages give the user they make (packaging's templates).
const marker = "getsmall service (package)"

// installed checks the root after rel's package was installed or upgraded to; it returns
// the user's /etc/passwd line.
func (s *setup) installed(r *root, d distro, rel release) string {
	t := r.t
	t.Helper()
	c, err := rel.build.Contents(d.format, "")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range c.Files {
		want = append(want, strings.TrimPrefix(f.Dst, "/"))
		info, err := os.Stat(filepath.Join(r.dir, f.Dst))
		if err != nil {
			t.Errorf("%s: %v", f.Dst, err)
			continue
		}
		st, _ := info.Sys().(*syscall.Stat_t)
		if info.Mode() != f.Mode || st == nil || st.Uid != 0 || st.Gid != 0 {
			t.Errorf("%s: %v, owner %v; want %v, root", f.Dst, info.Mode(), st, f.Mode)
		}
	}
	// apk's own record of the package is the same list.
	var listed []string
	for _, l := range strings.Split(r.must("info", "-L", "getsmall"), "\n") {
		if l != "" && !strings.HasSuffix(l, ":") {
			listed = append(listed, l)
		}
	}
	if slices.Sort(want); !slices.Equal(slices.Sorted(slices.Values(listed)), want) {
		t.Errorf("apk info -L getsmall: %q; want %q", listed, want)
	}
	if v := r.chroot("/usr/bin/getsmall", "version"); !strings.Contains(v, rel.describe) {
		t.Errorf("getsmall version: %q; want %s", v, rel.describe)
	}
	user := ""
	for l := range strings.Lines(r.read("etc/passwd")) {
		if f := strings.Split(strings.TrimSpace(l), ":"); len(f) == 7 && f[0] == "getsmall" && f[4] == marker {
			user = strings.TrimSpace(l)
			if !strings.Contains(r.read("etc/group"), "getsmall:x:"+f[3]+":") {
				t.Errorf("no group getsmall with the user's id %s:\n%s", f[3], r.read("etc/group"))
			}
		}
	}
	if user == "" {
		t.Errorf("no user getsmall marked %q:\n%s", marker, r.read("etc/passwd"))
	}
	s.audit(r)
	if d.format == packaging.APK3 {
		s.procd(r, d)
	}
	return user
}

// audit wants apk audit to find every installed file as the package has it, content, mode
// and owner; a changed mode shows it would tell.
func (s *setup) audit(r *root) {
	t := r.t
	t.Helper()
	if out := r.must("audit", "--system", "--check-permissions"); strings.TrimSpace(out) != "" {
		t.Errorf("apk audit --system --check-permissions:\n%s", out)
	}
	bin := filepath.Join(r.dir, "usr/bin/getsmall")
	if err := os.Chmod(bin, 0o700); err != nil { //nolint:gosec // a program's mode, changed for the audit to see
		t.Fatal(err)
	}
	if out := r.must("audit", "--system", "--check-permissions"); !strings.Contains(out, "usr/bin/getsmall") {
		t.Errorf("apk audit did not see a changed mode:\n%s", out)
	}
	if err := os.Chmod(bin, 0o755); err != nil { //nolint:gosec // the packaged mode back
		t.Fatal(err)
	}
}

// procd wants the OpenWrt service enabled (rc.d links, as OpenWrt's enable makes them) and
// running under procd with the package's command, user, settings and files.
func (s *setup) procd(r *root, d distro) {
	t := r.t
	t.Helper()
	for _, link := range []string{"etc/rc.d/S95getsmall", "etc/rc.d/K10getsmall"} {
		if target, err := os.Readlink(filepath.Join(r.dir, link)); err != nil || target != "../init.d/getsmall" {
			t.Errorf("%s: %q, %v; want a link to ../init.d/getsmall", link, target, err)
		}
	}
	sum := md5.Sum([]byte(r.read("usr/bin/getsmall"))) //nolint:gosec // procd's hash
	state := r.read(d.state)
	for _, want := range []string{
		"command /usr/bin/getsmall serve\n", "user getsmall\n", "group getsmall\n", "env ADDR=",
		"file /usr/bin/getsmall " + hex.EncodeToString(sum[:]) + "\n", "reload_trigger getsmall\n",
	} {
		if !strings.Contains(state, want) {
			t.Errorf("procd's instance has no %q:\n%s", want, state)
		}
	}
}
