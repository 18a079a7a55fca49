// The .deb, read with dpkg-deb: its control fields, files, maintainer scripts, binary and
// copyright file.

package packaging

import (
	"path/filepath"
	"strings"
)

// deb checks a .deb with dpkg-deb: its control fields and scripts, every file with its mode
// and owner, the binary, the unit and the copyright file.
func (c *pkgCheck) deb() {
	t := c.t
	ver, _, _ := c.b.version.For(Deb)
	c.checkControl(controlFields(c.output("dpkg-deb", "-f", c.pkg)),
		map[string]string{"Package": c.build.Name, "Version": ver, "Architecture": c.target.Arch})
	info := c.output("dpkg-deb", "-I", c.pkg)
	for _, s := range []string{"postinst", "prerm", "postrm", "conffiles"} {
		if !strings.Contains(info, s) {
			t.Errorf("dpkg-deb -I: no %s:\n%s", s, info)
		}
	}
	// Every file with its mode, owned by root, and nothing else.
	got := map[string]string{}
	for l := range strings.Lines(c.output("dpkg-deb", "-c", c.pkg)) {
		f := strings.Fields(l)
		if len(f) < 6 || strings.HasPrefix(f[0], "d") {
			continue
		}
		got[strings.TrimPrefix(f[5], ".")] = f[0]
		if f[1] != "root/root" {
			t.Errorf("%s owned by %s", f[5], f[1])
		}
	}
	want := map[string]string{}
	for dst, mode := range c.wantFiles() {
		want[dst] = map[string]string{"0755": "-rwxr-xr-x", "0644": "-rw-r--r--"}[mode]
	}
	compareFiles(t, got, want)
	control := t.TempDir()
	c.output("dpkg-deb", "-e", c.pkg, control)
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		lintShell(t, s, []byte(mustRead(t, filepath.Join(control, s))))
	}
	if conf := mustRead(t, filepath.Join(control, "conffiles")); conf != "/etc/default/"+c.build.Name+"\n" {
		t.Errorf("conffiles %q", conf)
	}
	data := t.TempDir()
	c.output("dpkg-deb", "-x", c.pkg, data)
	c.checkBinary(sha256Hex([]byte(mustRead(t, filepath.Join(data, "usr/bin", c.build.Name)))))
	c.checkUnit(mustRead(t, filepath.Join(data, "lib/systemd/system", c.build.Name+".service")))
	if cp := mustRead(t, filepath.Join(data, "usr/share/doc", c.build.Name, "copyright")); !strings.HasPrefix(cp, "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/") ||
		!strings.Contains(cp, "\nLicense: MIT\n") || !strings.Contains(cp, "Permission is hereby granted") {
		t.Errorf("copyright:\n%s", cp)
	}
}
