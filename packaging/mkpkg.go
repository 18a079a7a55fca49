// The OpenWrt .apk (apk-tools 3, ADB), written by apk-tools' own mkpkg as OpenWrt's SDK
// writes its packages: a staged tree of the files, the metadata as --info fields, the
// scripts, and a signature by the project's key.

package packaging

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// apkScriptNames are apk-tools' names for the scripts, by nfpm's.
var apkScriptNames = map[string]string{
	"preinstall": "pre-install", "postinstall": "post-install", "preupgrade": "pre-upgrade",
	"postupgrade": "post-upgrade", "preremove": "pre-deinstall", "postremove": "post-deinstall",
}

// mkpkg writes target t's package to out with the apk binary, signed with key when it is
// set. dir is a scratch directory of its own.
func (b Build) mkpkg(ctx context.Context, apk, key string, t Target, c Contents, dir, out string) error {
	files := filepath.Join(dir, "files")
	if err := b.stage(c, files); err != nil {
		return err
	}
	_, _, full := b.Version.For(t.Format)
	args := []string{"--root", filepath.Join(dir, "ids"), "mkpkg"}
	if key != "" {
		args = append(args, "--sign-key", key)
	}
	for _, kv := range [][2]string{
		{"name", b.Name}, {"version", full}, {"description", b.Description(t)}, {"arch", t.Arch},
		{"license", b.License}, {"origin", b.Name}, {"url", b.Homepage}, {"maintainer", b.Maintainer},
	} {
		if kv[1] != "" {
			args = append(args, "--info", kv[0]+":"+kv[1])
		}
	}
	scripts := c.Scripts.byName()
	for _, name := range slices.Sorted(maps.Keys(scripts)) {
		path := filepath.Join(dir, "scripts", name)
		if err := writeWithDirs(path, scripts[name], 0o755); err != nil {
			return err
		}
		args = append(args, "--script", apkScriptNames[name]+":"+path)
	}
	// mkpkg records each file's owner by name, as the root it is given resolves the id:
	// there, whoever runs this is root, as under OpenWrt's fakeroot.
	ids := fmt.Sprintf("root:x:%d:%d:root:/:/bin/sh\n", os.Geteuid(), os.Getegid())
	if err := writeWithDirs(filepath.Join(dir, "ids", "etc", "passwd"), []byte(ids), 0o644); err != nil {
		return err
	}
	group := fmt.Sprintf("root:x:%d:\n", os.Getegid())
	if err := os.WriteFile(filepath.Join(dir, "ids", "etc", "group"), []byte(group), 0o644); err != nil { //nolint:gosec // a scratch file
		return err
	}
	args = append(args, "--files", files, "--output", out)
	cmd := exec.CommandContext(ctx, apk, args...) //nolint:gosec // the apk make built
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+strconv.FormatInt(b.Date.Unix(), 10))
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("apk mkpkg %s: %w\n%s", t.Arch, err, stderr.String())
	}
	return nil
}

// stage lays c's files out under root with their modes, and every directory 0755, whatever
// the umask: mkpkg records what it finds.
func (b Build) stage(c Contents, root string) error {
	for _, f := range c.Files {
		content := f.Content
		if f.Source != "" {
			var err error
			if content, err = os.ReadFile(f.Source); err != nil {
				return err
			}
		}
		path := filepath.Join(root, filepath.FromSlash(f.Dst))
		if err := writeWithDirs(path, content, f.Mode); err != nil {
			return err
		}
		if err := os.Chmod(path, f.Mode); err != nil {
			return err
		}
		for d := filepath.Dir(path); strings.HasPrefix(d, root); d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o755); err != nil { //nolint:gosec // a package's directories are world-readable
				return err
			}
		}
	}
	return nil
}
