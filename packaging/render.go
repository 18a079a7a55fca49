// The files and maintainer scripts each format's package holds, rendered from templates/.

package packaging

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/getsmall/getsmall/server"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// templates are templates/*.tmpl, parsed once; a missing key is an error.
var templates = template.Must(template.New("").Option("missingkey=error").ParseFS(templateFS, "templates/*.tmpl"))

// Meta is what every package says about the product.
type Meta struct {
	Name        string // the package, the binary in /usr/bin, the units, the service user
	Summary     string // one line
	Maintainer  string // Name <address>
	Homepage    string // optional
	License     string // an SPDX identifier, MIT
	LicenseText string // the license file's text, which every package carries
}

// Build is one run: the product, its version, and which build of the binary it packages.
type Build struct {
	Meta
	Version Version
	Date    time.Time // BUILD_DATE: every file's time, and the packages' build time
	Packed  bool      // the binary is UPX-packed
	Flavor  string    // how the description names the build: UPX-packed, plain, floppy, UPX-packed
	Suffix  string    // appended to each file name before its extension: "", -plain, -floppy
}

// data is what the templates see.
type data struct {
	Meta
	Flavor       string
	Packed       bool
	Bin          string
	EnvFile      string
	User, Marker string
	Settings     []Setting
	Addr         string
	ListenStream string
	Stop         Stop
	Memory       Memory
	Copyright    string
}

// File is one file a package installs, its content rendered here or copied from Source.
type File struct {
	Dst     string
	Mode    fs.FileMode
	Type    string // nfpm's content type: "", config, config|noreplace, license
	Content []byte // rendered; nil when Source is set
	Source  string // a file to copy: the binary
}

// Scripts are a package's maintainer scripts, rendered, by nfpm's names.
type Scripts struct {
	PreInstall, PostInstall, PreRemove, PostRemove, PreUpgrade, PostUpgrade []byte
}

// byName returns the scripts a package has, by nfpm's names: preinstall, postinstall,
// preremove, postremove, preupgrade and postupgrade.
func (s Scripts) byName() map[string][]byte {
	out := map[string][]byte{}
	for name, content := range map[string][]byte{
		"preinstall": s.PreInstall, "postinstall": s.PostInstall, "preremove": s.PreRemove,
		"postremove": s.PostRemove, "preupgrade": s.PreUpgrade, "postupgrade": s.PostUpgrade,
	} {
		if content != nil {
			out[name] = content
		}
	}
	return out
}

// Contents is everything one format's package of a build holds, but the binary's source.
type Contents struct {
	Files   []File
	Scripts Scripts
}

// EnvFile is where a format's systemd unit reads the server's environment from: Debian's
// /etc/default, Red Hat's /etc/sysconfig.
func EnvFile(f Format, name string) string {
	if f == RPM {
		return "/etc/sysconfig/" + name
	}
	return "/etc/default/" + name
}

// UnitDir is where each distribution installs packaged systemd units: Debian bookworm
// still ships them in /lib/systemd/system (trixie moved to /usr/lib); RPM distributions
// use /usr/lib/systemd/system (%{_unitdir}).
func UnitDir(f Format) string {
	if f == RPM {
		return "/usr/lib/systemd/system"
	}
	return "/lib/systemd/system"
}

// LicenseDir is where a package puts the license text: Debian's copyright file, and
// /usr/share/licenses/<name> elsewhere (RPM's %license, Alpine's abuild). OpenWrt's own
// packages carry none, but the MIT license asks every copy to include it: 1 KiB.
func LicenseDir(name string) string { return "/usr/share/licenses/" + name }

// copyrightLine finds the holder in a license text's Copyright line.
var copyrightLine = regexp.MustCompile(`(?m)^Copyright(?: \([cC]\))? (.+)$`)

// data is what the templates see for format f's package.
func (b Build) data(f Format) (data, error) {
	settings, err := Settings()
	if err != nil {
		return data{}, err
	}
	addr := server.Defaults().Addr
	listen, err := ListenStream(addr)
	if err != nil {
		return data{}, err
	}
	copyright := b.Name + " authors"
	if m := copyrightLine.FindStringSubmatch(b.LicenseText); m != nil {
		copyright = m[1]
	}
	return data{
		Meta:         b.Meta,
		Flavor:       b.Flavor,
		Packed:       b.Packed,
		Bin:          "/usr/bin/" + b.Name,
		EnvFile:      EnvFile(f, b.Name),
		User:         b.Name,
		Marker:       b.Name + " service (package)",
		Settings:     settings,
		Addr:         addr,
		ListenStream: listen,
		Stop:         StopTimes(),
		Memory:       MemoryCaps(),
		Copyright:    copyright,
	}, nil
}

// render executes the template name.tmpl with d.
func render(name string, d any) ([]byte, error) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name+".tmpl", d); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// debianLicense indents a license text as a copyright file's License paragraph wants it:
// one space before each line, " ." for an empty one.
func debianLicense(text string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			lines[i] = " ."
		} else {
			lines[i] = " " + l
		}
	}
	return strings.Join(lines, "\n")
}

// Contents renders what a format's package installs, and its scripts; binary is the path
// of the binary it carries.
func (b Build) Contents(f Format, binary string) (Contents, error) {
	d, err := b.data(f)
	if err != nil {
		return Contents{}, err
	}
	var c Contents
	var rerr error // the first template that failed
	rendered := func(tmpl string) []byte {
		content, err := render(tmpl, d)
		if err != nil && rerr == nil {
			rerr = err
		}
		return content
	}
	add := func(dst, tmpl string, mode fs.FileMode, typ string) {
		c.Files = append(c.Files, File{Dst: dst, Mode: mode, Type: typ, Content: rendered(tmpl)})
	}
	c.Files = append(c.Files, File{Dst: d.Bin, Mode: 0o755, Source: binary})
	license := File{Dst: LicenseDir(b.Name) + "/LICENSE", Mode: 0o644, Content: []byte(b.LicenseText)}
	switch f {
	case Deb, RPM:
		add(UnitDir(f)+"/"+b.Name+".service", "service", 0o644, "")
		add(UnitDir(f)+"/"+b.Name+".socket", "socket", 0o644, "")
		add(d.EnvFile, "environment", 0o644, "config|noreplace")
		if f == Deb {
			copyright, err := render("copyright", struct {
				data
				LicenseText string
			}{d, debianLicense(b.LicenseText)})
			if err != nil {
				return Contents{}, err
			}
			c.Files = append(c.Files, File{Dst: "/usr/share/doc/" + b.Name + "/copyright", Mode: 0o644, Content: copyright})
			c.Scripts = Scripts{PostInstall: rendered("deb-postinst"), PreRemove: rendered("deb-prerm"), PostRemove: rendered("deb-postrm")}
		} else {
			license.Type = "license"
			c.Files = append(c.Files, license)
			c.Scripts = Scripts{PostInstall: rendered("rpm-post"), PreRemove: rendered("rpm-preun"), PostRemove: rendered("rpm-postun")}
		}
	case APK:
		add("/etc/init.d/"+b.Name, "openrc-init", 0o755, "")
		add("/etc/conf.d/"+b.Name, "openrc-conf", 0o644, "config|noreplace")
		c.Files = append(c.Files, license)
		pre := rendered("apk-pre-install")
		c.Scripts = Scripts{PreInstall: pre, PreUpgrade: pre, PostUpgrade: rendered("apk-post-upgrade"),
			PreRemove: rendered("apk-pre-deinstall"), PostRemove: rendered("apk-post-deinstall")}
	case IPK, APK3:
		add("/etc/init.d/"+b.Name, "procd-init", 0o755, "")
		add("/etc/config/"+b.Name, "uci-config", 0o644, "config|noreplace")
		c.Files = append(c.Files, license)
		if f == IPK {
			c.Scripts = Scripts{PostInstall: rendered("ipk-postinst"), PreRemove: rendered("ipk-prerm"), PostRemove: rendered("ipk-postrm")}
		} else {
			b.openwrtAPK(&c, rendered)
		}
	default:
		return Contents{}, fmt.Errorf("unknown format %q", f)
	}
	if rerr != nil {
		return Contents{}, rerr
	}
	return c, nil
}

// Description is the package's description: the summary, then which build of which
// version it carries (apk's version cannot hold the commit, this can). apk's is one line:
// its .PKGINFO has no continuation lines, and apk-tools 3 keeps one line too.
func (b Build) Description(t Target) string {
	if t.Format == APK || t.Format == APK3 {
		return fmt.Sprintf("%s (%s build of %s for %s)", b.Summary, b.Flavor, b.Version.Describe, t.Platform)
	}
	return fmt.Sprintf("%s\nThe %s build of %s %s for %s.", b.Summary, b.Flavor, b.Name, b.Version.Describe, t.Platform)
}

// FileName is the package's file name: each format's convention (nfpm's, with the
// architecture in every name, since one directory holds them all) and the build's suffix
// before the extension.
func (b Build) FileName(t Target) string {
	ver, rel, _ := b.Version.For(t.Format)
	switch t.Format {
	case RPM:
		return fmt.Sprintf("%s-%s-%s.%s%s.rpm", b.Name, ver, rel, t.Arch, b.Suffix)
	case APK:
		return fmt.Sprintf("%s_%s-r%s_%s%s.apk", b.Name, ver, rel, t.Arch, b.Suffix)
	case APK3:
		// openwrt_ keeps OpenWrt's x86_64 apart from Alpine's in one directory.
		return fmt.Sprintf("%s_%s-r%s_openwrt_%s%s.apk", b.Name, ver, rel, t.Arch, b.Suffix)
	default:
		return fmt.Sprintf("%s_%s_%s%s.%s", b.Name, ver, t.Arch, b.Suffix, t.Format)
	}
}
