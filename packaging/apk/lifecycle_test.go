//go:build apktools

// One system's life with the package: refusals, the install from the signed repository, an
// administrator's edit, the upgrade, the removal that keeps the edit, and the purge.

package apk

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getsmall/getsmall/packaging"
)

// distro is what differs between Alpine and OpenWrt for the tests: the package format, the
// settings file and an edit of it, and where the service stand-in logs and keeps its state.
type distro struct {
	format     packaging.Format
	conffile   string
	from, to   string // an edit of the settings: ADDR from :8080 to :9000
	env        string // how the service's state records the edited ADDR
	log, state string
	changed    string // what apk says of a package with a byte changed
}

var distros = map[string]distro{
	"alpine": {
		format: packaging.APK, conffile: "etc/conf.d/getsmall", from: `ADDR=":8080"`, to: `ADDR=":9000"`,
		env: "ADDR=:9000", log: "var/log/openrc.log", state: "run/openrc/started/getsmall",
		changed: "file format is invalid or inconsistent",
	},
	"openwrt": {
		format: packaging.APK3, conffile: "etc/config/getsmall", from: "option addr ':8080'", to: "option addr ':9000'",
		env: "env ADDR=:9000", log: "var/log/procd.log", state: "var/run/procd/getsmall",
		changed: "file integrity error",
	},
}

// publish makes a release's repository for arch the one at srv, as a server would.
func publish(t *testing.T, rel release, f packaging.Format, arch, srv string) {
	t.Helper()
	dir := filepath.Join(srv, arch)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	mkdir(t, dir)
	entries, err := os.ReadDir(rel.repo(f, arch))
	if err != nil || len(entries) != 2 {
		t.Fatalf("repository %s: %v, %d files; want the index and one package", rel.repo(f, arch), err, len(entries))
	}
	for _, e := range entries {
		copyFile(t, filepath.Join(rel.repo(f, arch), e.Name()), filepath.Join(dir, e.Name()), 0o644)
	}
}

// lifecycle runs every step on a fresh root of sys.
func (s *setup) lifecycle(t *testing.T, sys system) {
	d := distros[sys.distro]
	srv := t.TempDir()
	repo := srv // Alpine's line names the base; apk appends <arch>/APKINDEX.tar.gz
	if sys.distro == "openwrt" {
		repo = filepath.Join(srv, sys.arch, "packages.adb")
	}
	r := newRoot(t, sys, s.apk, s.busybox[sys.goarch], s.pub, s.keyName, repo)
	before := r.files()

	t.Run("refused", func(t *testing.T) { r.t = t; s.refusals(r, d, srv) })
	r.t = t
	if after := r.files(); !slices.Equal(before, after) {
		t.Fatalf("after the refusals and the unsigned package's install and removal:\n%s", listDiff(before, after))
	}

	publish(t, s.older, d.format, sys.arch, srv)
	n := len(r.logLines(d.log, 0))
	out := r.must("add", "getsmall")
	if !strings.Contains(out, "Installing getsmall ("+s.older.version()+")") {
		t.Errorf("apk add getsmall:\n%s", out)
	}
	user := s.installed(r, d, s.older)
	// OpenWrt's packages enable and start their service; Alpine's leave it to the administrator.
	if sys.distro == "openwrt" {
		wantLog(t, r, d, n, "start getsmall")
	} else {
		wantLog(t, r, d, n)
		if links, _ := filepath.Glob(filepath.Join(r.dir, "etc/runlevels/*/getsmall")); len(links) > 0 {
			t.Errorf("the Alpine package enabled the service: %q", links)
		}
	}
	s.packagedConffile(r, d, s.older)

	// The administrator changes a setting and applies it, as the settings file says.
	conf := strings.Replace(r.read(d.conffile), d.from, d.to, 1)
	if !strings.Contains(conf, d.to) {
		t.Fatalf("%s has no %q to change", d.conffile, d.from)
	}
	write(t, filepath.Join(r.dir, d.conffile), conf, 0o644)
	n = len(r.logLines(d.log, 0))
	if sys.distro == "alpine" {
		r.chroot("rc-update", "add", "getsmall", "default")
		r.chroot("rc-service", "getsmall", "start")
		wantLog(t, r, d, n, "start getsmall")
	} else {
		r.chroot("/etc/init.d/getsmall", "reload")
		wantLog(t, r, d, n, "restart getsmall")
	}
	if state := r.read(d.state); !strings.Contains(state, d.env+"\n") {
		t.Errorf("the service's state after the edit has no %q:\n%s", d.env, state)
	}

	publish(t, s.newer, d.format, sys.arch, srv)
	n = len(r.logLines(d.log, 0))
	out = r.must("upgrade")
	if !strings.Contains(out, "Upgrading getsmall ("+s.older.version()+" -> "+s.newer.version()+")") {
		t.Errorf("apk upgrade:\n%s", out)
	}
	if got := r.read(d.conffile); got != conf {
		t.Errorf("the upgrade did not keep the edited %s:\n%s", d.conffile, got)
	}
	if user2 := s.installed(r, d, s.newer); user2 != user {
		t.Errorf("the user changed in the upgrade: %q, then %q", user, user2)
	}
	// Only the binary changed: procd restarts its instance, OpenRC's post-upgrade restarts.
	if sys.distro == "alpine" {
		wantLog(t, r, d, n, "stop getsmall", "start getsmall")
	} else {
		wantLog(t, r, d, n, "restart getsmall")
	}
	if state := r.read(d.state); !strings.Contains(state, d.env+"\n") {
		t.Errorf("the restarted service does not read the edited setting %q:\n%s", d.env, state)
	}

	n = len(r.logLines(d.log, 0))
	r.must("del", "getsmall")
	wantLog(t, r, d, n, "stop getsmall")
	for _, f := range []string{"etc/passwd", "etc/group", "etc/shadow"} {
		if strings.Contains(r.read(f), "getsmall") {
			t.Errorf("/%s still names getsmall after apk del:\n%s", f, r.read(f))
		}
	}
	// apk keeps a settings file the administrator changed, and nothing else.
	after := r.files()
	if want := append(slices.Clone(before), "f /"+d.conffile); !slices.Equal(slices.Sorted(slices.Values(want)), slices.Sorted(slices.Values(after))) {
		t.Errorf("after apk del, the files are not those before the install and the edited %s:\n%s", d.conffile, listDiff(want, after))
	}
	if got := r.read(d.conffile); got != conf {
		t.Errorf("apk del changed the edited %s", d.conffile)
	}

	// Installed again over the kept edit and removed with --purge, nothing is left: the
	// root's files are again those before the first install.
	r.must("add", "getsmall")
	if got := r.read(d.conffile); got != conf {
		t.Errorf("apk add over the kept %s replaced the edit:\n%s", d.conffile, got)
	}
	r.must("del", "--purge", "getsmall")
	if after := r.files(); !slices.Equal(before, after) {
		t.Errorf("after apk del --purge, the files are not those before the install:\n%s", listDiff(before, after))
	}
}

// packagedConffile wants the settings file to be the one rel's package declares.
func (s *setup) packagedConffile(r *root, d distro, rel release) {
	r.t.Helper()
	c, err := rel.build.Contents(d.format, "")
	if err != nil {
		r.t.Fatal(err)
	}
	for _, f := range c.Files {
		if f.Dst == "/"+d.conffile && string(f.Content) != r.read(d.conffile) {
			r.t.Errorf("/%s is not the packaged one:\n%s", d.conffile, r.read(d.conffile))
		}
	}
}

// wantLog wants the service stand-in's log to have gained exactly these lines.
func wantLog(t *testing.T, r *root, d distro, n int, want ...string) {
	t.Helper()
	if got := r.logLines(d.log, n); !slices.Equal(got, want) {
		t.Errorf("%s gained %q; want %q", d.log, got, want)
	}
}
