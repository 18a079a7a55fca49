// The .apk and the .ipk, which Debian has no tool for, read here as the gzip and tar
// archives they are: their control data, scripts, files and init scripts.

package packaging

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// gzipStreams returns the decompressed members of concatenated gzip streams (an apk).
func gzipStreams(t *testing.T, data []byte) [][]byte {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(data))
	var out [][]byte
	for {
		zr, err := gzip.NewReader(br)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		zr.Multistream(false)
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
}

// tarEntry is one member of a tar, as the checks read it.
type tarEntry struct {
	mode    int64
	owner   string
	mtime   time.Time
	content []byte
	dir     bool
}

// readTar returns a tar's entries by name, without a leading ./, in order.
func readTar(t *testing.T, data []byte) (map[string]tarEntry, []string) {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(data))
	entries, order := map[string]tarEntry{}, []string(nil)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return entries, order
		}
		if err != nil {
			t.Fatal(err)
		}
		content, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		entries[name] = tarEntry{mode: h.Mode, owner: h.Uname, mtime: h.ModTime, content: content, dir: h.Typeflag == tar.TypeDir}
		order = append(order, name)
	}
}

// ungzip returns the content of data, which must be one gzip stream.
func ungzip(t *testing.T, data []byte) []byte {
	t.Helper()
	s := gzipStreams(t, data)
	if len(s) != 1 {
		t.Fatalf("%d gzip streams, want 1", len(s))
	}
	return s[0]
}

// checkData checks a data tar: the files and modes, the binary's bytes, the time.
func (c *pkgCheck) checkData(data map[string]tarEntry) {
	t := c.t
	got := map[string]string{}
	for name, e := range data {
		if e.dir {
			continue
		}
		got["/"+name] = fmt.Sprintf("%04o", e.mode&0o7777)
		if !e.mtime.Equal(c.b.date) {
			t.Errorf("%s: time %v, want BUILD_DATE", name, e.mtime)
		}
	}
	compareFiles(t, got, c.wantFiles())
	c.checkBinary(sha256Hex(data["usr/bin/"+c.build.Name].content))
	if !bytes.Contains(data["usr/share/licenses/"+c.build.Name+"/LICENSE"].content, []byte("Permission is hereby granted")) {
		t.Error("no license text")
	}
}

// apk checks an unsigned .apk: its .PKGINFO first, its scripts dated and executable, its
// data, and its OpenRC init script.
func (c *pkgCheck) apk() {
	t := c.t
	streams := gzipStreams(t, []byte(mustRead(t, c.pkg)))
	if len(streams) != 2 {
		t.Fatalf("%d gzip streams; want the control and the data of an unsigned apk", len(streams))
	}
	control, order := readTar(t, streams[0])
	if order[0] != ".PKGINFO" {
		t.Errorf("first control entry %q, want .PKGINFO", order[0])
	}
	info := map[string]string{}
	for l := range strings.Lines(string(control[".PKGINFO"].content)) {
		k, v, ok := strings.Cut(strings.TrimSpace(l), " = ")
		if !ok {
			t.Errorf(".PKGINFO line %q is not key = value", l)
		}
		info[k] = v
	}
	_, _, full := c.b.version.For(APK)
	for k, want := range map[string]string{"pkgname": c.build.Name, "pkgver": full, "arch": c.target.Arch, "license": "MIT"} {
		if info[k] != want {
			t.Errorf(".PKGINFO %s = %q, want %q", k, info[k], want)
		}
	}
	if info["maintainer"] == "" || !strings.Contains(info["pkgdesc"], c.b.describe) || info["depend"] != "" {
		t.Errorf(".PKGINFO: maintainer %q, pkgdesc %q, depend %q", info["maintainer"], info["pkgdesc"], info["depend"])
	}
	for _, s := range []string{".pre-install", ".pre-upgrade", ".pre-deinstall", ".post-deinstall"} {
		e, ok := control[s]
		if !ok || e.mode&0o111 == 0 || !e.mtime.Equal(c.b.date) {
			t.Errorf("%s: present %v, mode %o, time %v", s, ok, e.mode, e.mtime)
			continue
		}
		lintShell(t, s, e.content)
	}
	data, _ := readTar(t, streams[1])
	c.checkData(data)
	init := data["etc/init.d/"+c.build.Name].content
	if !bytes.HasPrefix(init, []byte("#!/sbin/openrc-run\n")) {
		t.Errorf("init script starts %q", bytes.SplitN(init, []byte("\n"), 2)[0])
	}
	lintShell(t, "init", init)
}

// ipk checks an .ipk, a gzipped tar of debian-binary, control.tar.gz and data.tar.gz: its
// control fields, conffiles and scripts, its data, its procd init script and UCI config.
func (c *pkgCheck) ipk() {
	t := c.t
	outer, order := readTar(t, ungzip(t, []byte(mustRead(t, c.pkg))))
	if !slices.Equal(order, []string{"debian-binary", "control.tar.gz", "data.tar.gz"}) || string(outer["debian-binary"].content) != "2.0\n" {
		t.Fatalf("ipk members %q, debian-binary %q", order, outer["debian-binary"].content)
	}
	control, _ := readTar(t, ungzip(t, outer["control.tar.gz"].content))
	ver, _, _ := c.b.version.For(IPK)
	c.checkControl(controlFields(string(control["control"].content)),
		map[string]string{"Package": c.build.Name, "Version": ver, "Architecture": c.target.Arch, "License": "MIT"})
	if got := string(control["conffiles"].content); got != "/etc/config/"+c.build.Name+"\n" {
		t.Errorf("conffiles %q", got)
	}
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		e, ok := control[s]
		if !ok || e.mode&0o111 == 0 {
			t.Errorf("%s: present %v, mode %o", s, ok, e.mode)
			continue
		}
		lintShell(t, s, e.content)
	}
	data, _ := readTar(t, ungzip(t, outer["data.tar.gz"].content))
	c.checkData(data)
	init := data["etc/init.d/"+c.build.Name].content
	if !bytes.HasPrefix(init, []byte("#!/bin/sh /etc/rc.common\n")) || !bytes.Contains(init, []byte("USE_PROCD=1")) {
		t.Errorf("init script:\n%s", init)
	}
	lintShell(t, "init", init)
	if uci := string(data["etc/config/"+c.build.Name].content); !strings.Contains(uci, "config "+c.build.Name+" 'main'") {
		t.Errorf("UCI config:\n%s", uci)
	}
}
