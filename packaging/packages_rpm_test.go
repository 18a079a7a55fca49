// The .rpm, read with rpm: its header, files, scriptlets and binary; as root, installed,
// upgraded and erased in a scratch root.

package packaging

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// rpm checks an .rpm with rpm: its header, every file with its mode, owner, time and
// digest, the settings and license files, the scriptlets; the x86_64 one is also installed.
func (c *pkgCheck) rpm() {
	t := c.t
	ver, rel, _ := c.b.version.For(RPM)
	q := c.output("rpm", "-qp", "--qf", "%{NAME}|%{VERSION}|%{RELEASE}|%{ARCH}|%{LICENSE}|%{BUILDHOST}|%{BUILDTIME}|%{REQUIRES}\n", c.pkg)
	want := fmt.Sprintf("%s|%s|%s|%s|MIT|reproducible|%d|", c.build.Name, ver, rel, c.target.Arch, c.b.date.Unix())
	if !strings.HasPrefix(q, want) {
		t.Errorf("rpm -qp: %q, want %q...", q, want)
	}
	// File list, modes and digests: rpm --dump is path size mtime sha256 mode owner group config ...
	got, digests := map[string]string{}, map[string]string{}
	for l := range strings.Lines(c.output("rpm", "-qp", "--dump", c.pkg)) {
		f := strings.Fields(l)
		if len(f) < 8 {
			continue
		}
		got[f[0]] = "0" + f[4][len(f[4])-3:]
		digests[f[0]] = f[3]
		if f[5] != "root" || f[6] != "root" || f[2] != strconv.FormatInt(c.b.date.Unix(), 10) {
			t.Errorf("%s: owner %s:%s, time %s", f[0], f[5], f[6], f[2])
		}
	}
	compareFiles(t, got, c.wantFiles())
	c.checkBinary(digests["/usr/bin/"+c.build.Name])
	if conf := strings.TrimSpace(c.output("rpm", "-qcp", c.pkg)); conf != "/etc/sysconfig/"+c.build.Name {
		t.Errorf("rpm -qc: %q", conf)
	}
	if lic := strings.TrimSpace(c.output("rpm", "-qLp", c.pkg)); lic != "/usr/share/licenses/"+c.build.Name+"/LICENSE" {
		t.Errorf("rpm -qL: %q", lic)
	}
	for _, tag := range []string{"POSTIN", "PREUN", "POSTUN"} {
		body := c.output("rpm", "-qp", "--qf", "%{"+tag+"}", c.pkg)
		if !strings.HasPrefix(body, "#!/bin/sh\n") {
			t.Errorf("%%%s: %q", tag, body)
			continue
		}
		lintShell(t, tag, []byte(body))
	}
	if pre := c.output("rpm", "-qp", "--qf", "%{PREIN}", c.pkg); pre != "(none)" {
		t.Errorf("%%pre: %q; want none", pre)
	}
	if c.target.Arch == "x86_64" {
		c.rpmInstall()
	}
}

// rpmInstall installs the package into a scratch root (without its scriptlets, which need
// systemctl), changes the settings, upgrades it to a later version built here, and erases
// it: the settings survive the upgrade, and the erase leaves nothing but rpm's copy of the
// changed settings file.
func (c *pkgCheck) rpmInstall() {
	t := c.t
	if os.Geteuid() != 0 {
		t.Log("not root: the rpm is not installed into a scratch root")
		return
	}
	root := t.TempDir()
	rpmRoot := func(args ...string) {
		t.Helper()
		args = append([]string{"--root", root, "--dbpath", "/var/lib/rpm", "--nodeps", "--noscripts"}, args...)
		if args[len(args)-2] != "-e" {
			args = append(args, "--ignorearch", "--ignoreos")
		}
		if out, err := exec.Command("rpm", args...).CombinedOutput(); err != nil {
			t.Fatalf("rpm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if out, err := exec.Command("rpm", "--root", root, "--dbpath", "/var/lib/rpm", "--initdb").CombinedOutput(); err != nil {
		t.Fatalf("rpm --initdb: %v\n%s", err, out)
	}
	rpmRoot("-i", c.pkg)
	for dst, mode := range c.wantFiles() {
		st, err := os.Stat(filepath.Join(root, dst))
		if err != nil || fmt.Sprintf("%04o", st.Mode().Perm()) != mode {
			t.Errorf("installed %s: %v, mode %v; want %s", dst, err, st.Mode(), mode)
		}
	}
	settings := filepath.Join(root, "etc/sysconfig", c.build.Name)
	mine := mustRead(t, settings) + "SHUTDOWN_DELAY=5s\n"
	mustWrite(t, settings, mine, 0o600)
	// A later version of the same build: v99.0.0.
	later := c.build
	later.Meta = Meta{Name: c.build.Name, Summary: "s", Maintainer: "m <m@m.invalid>", License: "MIT", LicenseText: mustRead(t, "../LICENSE")}
	later.Version, _ = ParseVersion("v99.0.0", "unknown")
	later.Date, later.Packed, later.Flavor = c.b.date, c.packed, "test"
	dir := t.TempDir()
	res, err := later.Run(context.Background(), Options{
		Platforms: []string{c.target.Platform}, Formats: []Format{RPM}, BinPrefix: strings.TrimSuffix(c.bin, PlatformName(c.target.Platform)),
		OutDir: dir, NFPM: strings.TrimSpace(makeRun(t, "", "print-NFPM")), WorkDir: t.TempDir(), Log: io.Discard,
	})
	if err != nil || len(res) != 1 {
		t.Fatalf("building v99.0.0: %v", err)
	}
	rpmRoot("-U", res[0].Path)
	if got := mustRead(t, settings); got != mine {
		t.Errorf("the changed settings did not survive the upgrade:\n%s", got)
	}
	rpmRoot("-e", c.build.Name)
	var left []string
	_ = filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && !strings.HasPrefix(path, filepath.Join(root, "var/lib/rpm")) {
			left = append(left, strings.TrimPrefix(path, root))
		}
		return nil
	})
	if !slices.Equal(left, []string{"/etc/sysconfig/" + c.build.Name + ".rpmsave"}) {
		t.Errorf("after rpm -e: %q; want only the changed settings, kept as .rpmsave", left)
	}
}
