// The signed repositories apk installs and upgrades from: Alpine's (APKINDEX.tar.gz, v2)
// and OpenWrt's (packages.adb, v3), one directory per architecture, so that a device
// adds one repository line and one public key.

package packaging

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RepoDir is where a flavour's repository for a format is written in the package directory:
// alpine or openwrt, with the flavour's suffix (alpine-plain). Each holds <arch>/.
func RepoDir(out string, f Format, suffix string) string {
	name := map[Format]string{APK: "alpine", APK3: "openwrt"}[f]
	return filepath.Join(out, name+suffix)
}

// repoFormats are the formats a repository is written for.
var repoFormats = []Format{APK, APK3}

// writeRepos writes the repositories of the apk packages among results, signed with the
// key; without one it says so. Either way it first removes this flavour's old ones.
func (b Build) writeRepos(ctx context.Context, o Options, results []Result) error {
	for _, f := range repoFormats {
		if err := os.RemoveAll(RepoDir(o.OutDir, f, b.Suffix)); err != nil {
			return err
		}
	}
	if o.APKKey == "" {
		fmt.Fprintln(o.Log, "packages: no apk repositories, and the apk packages are not signed (set APK_KEY=getsmall.rsa: make apk-key makes one)")
		return nil
	}
	key, err := loadAPKKey(o.APKKey)
	if err != nil {
		return err
	}
	keyName, _ := APKKeyName(o.APKKey)
	// apk index and mkndx check each package's signature against this directory.
	keys := filepath.Join(o.WorkDir, "keys")
	pub, err := os.ReadFile(o.APKKey + ".pub")
	if err != nil {
		return err
	}
	if err := writeWithDirs(filepath.Join(keys, keyName), pub, 0o644); err != nil {
		return err
	}
	_, _, full := b.Version.For(APK)
	description := b.Name + " " + b.Version.Describe
	for _, r := range results {
		if !slices.Contains(repoFormats, r.Format) {
			continue
		}
		dir := filepath.Join(RepoDir(o.OutDir, r.Format, b.Suffix), r.Arch)
		if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // a published directory
			return err
		}
		// apk fetches <name>-<version>.apk beside the index; a link costs no space.
		pkg := filepath.Join(dir, b.Name+"-"+full+".apk")
		if err := os.Link(r.Path, pkg); err != nil {
			if err := copyFile(r.Path, pkg); err != nil {
				return err
			}
		}
		if r.Format == APK {
			unsigned := filepath.Join(o.WorkDir, "APKINDEX.tar.gz")
			if err := b.apk(ctx, o.APK, "--keys-dir", keys, "index", "--description", description, "--output", unsigned, pkg); err != nil {
				return err
			}
			if err := signIndex(unsigned, filepath.Join(dir, "APKINDEX.tar.gz"), key, keyName, b.Date); err != nil {
				return err
			}
		} else {
			// The file name spelled out, so that any apk fetches <name>-<version>.apk.
			if err := b.apk(ctx, o.APK, "--keys-dir", keys, "mkndx", "--sign-key", o.APKKey, "--pkgname-spec", "${name}-${version}.apk",
				"--description", description, "--output", filepath.Join(dir, "packages.adb"), pkg); err != nil {
				return err
			}
		}
		fmt.Fprintf(o.Log, "packages: %s: a signed repository\n", dir)
	}
	return nil
}

// apk runs apk-tools with the build's time for whatever it dates.
func (b Build) apk(ctx context.Context, apk string, args ...string) error {
	cmd := exec.CommandContext(ctx, apk, args...) //nolint:gosec // the apk make built
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+strconv.FormatInt(b.Date.Unix(), 10))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apk %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// signIndex writes to out the v2 index at in, signed as Alpine's abuild-sign signs one: a
// gzip member first holding a tar of one file, .SIGN.RSA256.<key name>, the RSA PKCS #1
// v1.5 signature of the SHA-256 of the unsigned index's bytes, and no end-of-archive
// blocks, so that the two members read as one tar.
func signIndex(in, out string, key *rsa.PrivateKey, keyName string, date time.Time) error {
	index, err := os.ReadFile(in) //nolint:gosec // the index apk index just wrote
	if err != nil {
		return err
	}
	digest := sha256.Sum256(index)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return err
	}
	var tarred bytes.Buffer
	tw := tar.NewWriter(&tarred)
	if err := tw.WriteHeader(&tar.Header{
		Name: ".SIGN.RSA256." + keyName, Mode: 0o644, Size: int64(len(sig)), ModTime: date,
		Uname: "root", Gname: "root", Typeflag: tar.TypeReg, Format: tar.FormatUSTAR,
	}); err != nil {
		return err
	}
	if _, err := tw.Write(sig); err != nil {
		return err
	}
	if err := tw.Flush(); err != nil { // Flush pads the entry; Close would end the archive
		return err
	}
	var signed bytes.Buffer
	zw, err := gzip.NewWriterLevel(&signed, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(tarred.Bytes()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	signed.Write(index)
	return os.WriteFile(out, signed.Bytes(), 0o644) //nolint:gosec // a published index
}

// copyFile copies a file where a link cannot be made (another file system).
func copyFile(src, dst string) error {
	in, err := os.Open(src) //nolint:gosec // a package this run wrote
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644) //nolint:gosec // a published package
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
