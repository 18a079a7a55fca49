// OpenWrt 25.12's .apk: the .ipk's files, the package database files OpenWrt's SDK adds
// under /lib/apk/packages, and the scripts its apk-tools runs.

package packaging

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// OpenWrtPackagesDir is where OpenWrt 25.12 keeps what opkg kept in /usr/lib/opkg/info: a
// package's file list, its conffiles and the users it needs. OpenWrt's own scripts read
// them (default_postinst and default_prerm find the init scripts in the list,
// add_group_and_user the users, sysupgrade the conffiles), so the package carries them as
// files, as the SDK's packages do.
const OpenWrtPackagesDir = "/lib/apk/packages"

// openwrtAPK completes c, which holds the .ipk's files, into the OpenWrt .apk: the
// database files and the scripts. rendered renders a template, recording the first error.
func (b Build) openwrtAPK(c *Contents, rendered func(string) []byte) {
	base := OpenWrtPackagesDir + "/" + b.Name
	// The SDK writes USERID (user[=uid]:group[=gid]) here; no ids: OpenWrt picks free ones.
	rusers := File{Dst: base + ".rusers", Mode: 0o644, Content: []byte(b.Name + ":" + b.Name + "\n")}
	var list, conffiles, static []string
	for _, f := range append(slices.Clone(c.Files), rusers) {
		list = append(list, f.Dst)
		if strings.HasPrefix(f.Type, "config") {
			sum := sha256.Sum256(f.Content)
			conffiles = append(conffiles, f.Dst)
			static = append(static, f.Dst+" "+hex.EncodeToString(sum[:]))
		}
	}
	slices.Sort(list)
	lines := func(s []string) []byte { return []byte(strings.Join(s, "\n") + "\n") }
	// The list is written before the conffiles files, as the SDK does: it lists neither.
	c.Files = append(c.Files, rusers,
		File{Dst: base + ".list", Mode: 0o644, Content: lines(list)},
		File{Dst: base + ".conffiles", Mode: 0o644, Content: lines(conffiles)},
		File{Dst: base + ".conffiles_static", Mode: 0o644, Content: lines(static)})
	pre, post := rendered("openwrt-apk-pre-install"), rendered("openwrt-apk-post-install")
	c.Scripts = Scripts{
		PreInstall: pre, PreUpgrade: withUpgrade(pre),
		PostInstall: post, PostUpgrade: withUpgrade(post),
		PreRemove: rendered("openwrt-apk-pre-deinstall"), PostRemove: rendered("ipk-postrm"),
	}
}

// withUpgrade is script as its upgrade twin, as OpenWrt's SDK makes pre-upgrade and
// post-upgrade from pre-install and post-install: PKG_UPGRADE=1 exported after the #! line,
// which OpenWrt's default_postinst reads to keep the administrator's enable choice.
func withUpgrade(script []byte) []byte {
	first, rest, _ := bytes.Cut(script, []byte("\n"))
	out := append(slices.Clone(first), "\nexport PKG_UPGRADE=1\n"...)
	return append(out, rest...)
}
