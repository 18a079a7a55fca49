// nfpm's configuration for one package, and the rendered files and scripts it names.

package packaging

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// NFPMConfig is the part of nfpm's configuration this package writes. It is written as
// JSON, which YAML parsers read as YAML: no quoting to get wrong. The field names are
// nfpm's (nfpm.Info, files.Content), which refuses unknown ones.
type NFPMConfig struct {
	Name          string        `json:"name"`
	Arch          string        `json:"arch"`
	Platform      string        `json:"platform"`
	Version       string        `json:"version"`
	VersionSchema string        `json:"version_schema"`
	Release       string        `json:"release,omitempty"`
	Section       string        `json:"section,omitempty"`
	Priority      string        `json:"priority,omitempty"`
	Maintainer    string        `json:"maintainer"`
	Description   string        `json:"description"`
	Homepage      string        `json:"homepage,omitempty"`
	License       string        `json:"license"`
	MTime         string        `json:"mtime"`
	Contents      []NFPMContent `json:"contents"`
	Scripts       NFPMScripts   `json:"scripts"`
	Deb           *NFPMFormat   `json:"deb,omitempty"`
	RPM           *NFPMRPM      `json:"rpm,omitempty"`
	APK           *NFPMAPK      `json:"apk,omitempty"`
	IPK           *NFPMFormat   `json:"ipk,omitempty"`
}

// NFPMContent is one file.
type NFPMContent struct {
	Src      string       `json:"src"`
	Dst      string       `json:"dst"`
	Type     string       `json:"type,omitempty"`
	FileInfo NFPMFileInfo `json:"file_info"`
}

// NFPMFileInfo sets what nfpm would otherwise take from the source file.
type NFPMFileInfo struct {
	Mode  fs.FileMode `json:"mode"`
	Owner string      `json:"owner"`
	Group string      `json:"group"`
	MTime string      `json:"mtime"`
}

// NFPMScripts names the maintainer scripts' files.
type NFPMScripts struct {
	PreInstall  string `json:"preinstall,omitempty"`
	PostInstall string `json:"postinstall,omitempty"`
	PreRemove   string `json:"preremove,omitempty"`
	PostRemove  string `json:"postremove,omitempty"`
}

// NFPMFormat is the deb and ipk sections.
type NFPMFormat struct {
	Arch        string `json:"arch"`
	Compression string `json:"compression,omitempty"`
}

// NFPMRPM is the rpm section.
type NFPMRPM struct {
	Arch        string `json:"arch"`
	Compression string `json:"compression"`
	Summary     string `json:"summary"`
	BuildHost   string `json:"buildhost"`
	Packager    string `json:"packager"`
}

// NFPMAPK is the apk section.
type NFPMAPK struct {
	Arch      string            `json:"arch"`
	Scripts   NFPMAPKScripts    `json:"scripts"`
	Signature *NFPMAPKSignature `json:"signature,omitempty"`
}

// NFPMAPKScripts are apk's scripts nfpm has no general name for.
type NFPMAPKScripts struct {
	PreUpgrade  string `json:"preupgrade,omitempty"`
	PostUpgrade string `json:"postupgrade,omitempty"`
}

// NFPMAPKSignature signs an .apk with the project's apk key: nfpm writes .SIGN.RSA.<key
// name>, the name of the public key apk looks for in /etc/apk/keys.
type NFPMAPKSignature struct {
	KeyFile string `json:"key_file"`
	KeyName string `json:"key_name"`
}

// Config is nfpm's configuration for a target's contents, whose rendered files and scripts
// WriteFiles put in dir.
func (b Build) Config(t Target, c Contents, dir string) NFPMConfig {
	ver, rel, _ := b.Version.For(t.Format)
	mtime := b.Date.UTC().Format(time.RFC3339)
	cfg := NFPMConfig{
		Name:          b.Name,
		Arch:          t.Arch,
		Platform:      "linux",
		Version:       ver,
		VersionSchema: "none",
		Release:       rel,
		Section:       "net",
		Priority:      "optional",
		Maintainer:    b.Maintainer,
		Description:   b.Description(t),
		Homepage:      b.Homepage,
		License:       b.License,
		MTime:         mtime,
	}
	for i, f := range c.Files {
		src := f.Source
		if src == "" {
			src = filepath.Join(dir, "files", strconv.Itoa(i))
		}
		cfg.Contents = append(cfg.Contents, NFPMContent{
			Src: src, Dst: f.Dst, Type: f.Type,
			FileInfo: NFPMFileInfo{Mode: f.Mode, Owner: "root", Group: "root", MTime: mtime},
		})
	}
	s := c.Scripts
	path := func(name string, content []byte) string {
		if content == nil {
			return ""
		}
		return filepath.Join(dir, "scripts", name)
	}
	cfg.Scripts = NFPMScripts{
		PreInstall:  path("preinstall", s.PreInstall),
		PostInstall: path("postinstall", s.PostInstall),
		PreRemove:   path("preremove", s.PreRemove),
		PostRemove:  path("postremove", s.PostRemove),
	}
	switch t.Format {
	case Deb:
		// xz: the plain binary shrinks to a third; dpkg has read it for decades.
		cfg.Deb = &NFPMFormat{Arch: t.Arch, Compression: "xz"}
	case RPM:
		// The build host is in the header: a fixed one, for the same bytes on any machine.
		cfg.RPM = &NFPMRPM{Arch: t.Arch, Compression: "xz", Summary: b.Summary, BuildHost: "reproducible", Packager: b.Maintainer}
	case APK:
		cfg.APK = &NFPMAPK{Arch: t.Arch, Scripts: NFPMAPKScripts{PreUpgrade: path("preupgrade", s.PreUpgrade), PostUpgrade: path("postupgrade", s.PostUpgrade)}}
	case IPK:
		cfg.IPK = &NFPMFormat{Arch: t.Arch}
	}
	return cfg
}

// WriteFiles writes a format's rendered files and scripts under dir, dated BUILD_DATE:
// nfpm takes an apk script's time from its file.
func (b Build) WriteFiles(c Contents, dir string) error {
	write := func(path string, content []byte, mode fs.FileMode) error {
		if err := writeWithDirs(path, content, mode); err != nil {
			return err
		}
		return os.Chtimes(path, b.Date, b.Date)
	}
	for i, f := range c.Files {
		if f.Source != "" {
			continue
		}
		if err := write(filepath.Join(dir, "files", strconv.Itoa(i)), f.Content, 0o644); err != nil {
			return err
		}
	}
	for name, content := range c.Scripts.byName() {
		if err := write(filepath.Join(dir, "scripts", name), content, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// writeWithDirs writes content to path, making its directory first.
func writeWithDirs(path string, content []byte, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	return os.WriteFile(path, content, mode) //nolint:gosec // a path under the run's own scratch directory
}
