// Package apk installs the apk packages with apk-tools 3.0.6 itself: Alpine's (v2, made by
// nfpm) and OpenWrt 25.12's (v3, made by apk mkpkg), from the signed repositories make
// packages writes, into root directories whose /bin/sh is Debian's busybox-static, for
// Alpine x86_64, OpenWrt x86_64 and OpenWrt aarch64 (its busybox through qemu-user). Only
// the project's key is trusted. What cannot exist in such a root is stood in by the shell
// scripts in standin/: procd with ubus, UCI, OpenWrt's rc.common and functions.sh, OpenRC
// with its supervisor, and the user commands Debian's busybox leaves out. The tests with
// the apktools tag need root, apk-tools and the busyboxes: run them with `make
// test-packages-apk`. This file's test, which checks the stand-ins, runs in any build.
package apk

import (
	"io/fs"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestStandInsLint runs sh -n and shellcheck on every stand-in: they are the shell of the
// roots, and what they do is what the tests assert.
func TestStandInsLint(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Fatalf("shellcheck not found (apt-get install shellcheck): %v", err)
	}
	var scripts []string
	err := filepath.WalkDir("standin", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			scripts = append(scripts, path)
		}
		return err
	})
	if err != nil || len(scripts) < 10 {
		t.Fatalf("stand-ins: %v, %d found", err, len(scripts))
	}
	for _, s := range scripts {
		if out, err := exec.Command("sh", "-n", s).CombinedOutput(); err != nil {
			t.Errorf("%s: sh -n: %v\n%s", s, err, out)
		}
	}
	if out, err := exec.Command("shellcheck", append([]string{"-s", "sh"}, scripts...)...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}
