// Package cli is the packages command: its flags, checked, become one packaging.Build and
// its options; Run returns the exit code (2 for a usage error, 1 when a package fails).
// With -keygen PATH it writes a new apk key pair instead (make apk-key).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/getsmall/getsmall/packaging"
)

// Run parses args and writes the packages.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("packages", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		nfpm        = fs.String("nfpm", "", "the nfpm binary (required)")
		apk         = fs.String("apk", "", "apk-tools' apk, for the OpenWrt packages (apk3) and the repositories")
		apkKey      = fs.String("apk-key", "", "the apk key, NAME.rsa with NAME.rsa.pub beside it: signs the apk packages and writes their repositories")
		name        = fs.String("name", "", "package, binary, unit and user name (required)")
		version     = fs.String("version", "", "VERSION, as git describe gives it (required)")
		date        = fs.String("date", "", "BUILD_DATE, the commit time, RFC 3339 (required)")
		platforms   = fs.String("platforms", "", "PLATFORMS, space-separated (required)")
		formats     = fs.String("formats", "deb rpm apk ipk", "formats to write")
		binPrefix   = fs.String("bin-prefix", "", "a platform's binary is this plus linux-amd64, ... (required)")
		packed      = fs.Bool("packed", false, "the binaries are UPX-packed")
		flavor      = fs.String("flavor", "", "how descriptions name the build (default: UPX-packed or plain)")
		suffix      = fs.String("suffix", "", "appended to each file name before its extension, e.g. -plain")
		out         = fs.String("out", "", "the directory to write the packages to (required)")
		sbomDir     = fs.String("sbom-dir", "", "a directory of <platform>.cdx.json SBOMs to copy next to each package")
		summary     = fs.String("summary", "", "one-line description (required)")
		maintainer  = fs.String("maintainer", "", "Name <address> (required)")
		homepage    = fs.String("homepage", "", "the project's address")
		license     = fs.String("license", "MIT", "the license's SPDX identifier")
		licenseFile = fs.String("license-file", "", "the license text every package carries (required)")
		keygen      = fs.String("keygen", "", "write a new apk key pair to `PATH` (NAME.rsa) and PATH.pub, and nothing else")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "packages: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() > 0 {
		return usage("unexpected argument %q", fs.Arg(0))
	}
	if *keygen != "" {
		if err := packaging.GenerateAPKKey(*keygen); err != nil {
			fmt.Fprintf(stderr, "packages: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "packages: wrote %s and %s.pub: sign with APK_KEY=%s, publish the .pub, never commit the key\n", *keygen, *keygen, *keygen)
		return 0
	}
	for _, req := range []struct{ flag, value string }{
		{"nfpm", *nfpm}, {"name", *name}, {"version", *version}, {"date", *date}, {"platforms", *platforms},
		{"bin-prefix", *binPrefix}, {"out", *out}, {"summary", *summary}, {"maintainer", *maintainer},
		{"license-file", *licenseFile},
	} {
		if strings.TrimSpace(req.value) == "" {
			return usage("-%s is required", req.flag)
		}
	}
	fmts, err := packaging.ParseFormats(*formats)
	if err != nil {
		return usage("-formats: %v", err)
	}
	if *apkKey != "" {
		if _, err := packaging.APKKeyName(*apkKey); err != nil {
			return usage("-apk-key: %v", err)
		}
	}
	if *apk == "" && slices.Contains(fmts, packaging.APK3) {
		return usage("-apk is required for the apk3 format (make apk-tools builds it)")
	}
	v, err := packaging.ParseVersion(*version, *date)
	if err != nil {
		return usage("%v", err)
	}
	when, err := time.Parse(time.RFC3339, *date)
	if err != nil {
		return usage("-date %q: want the commit time, e.g. 2026-11-27T14:30:05Z: %v", *date, err)
	}
	text, err := os.ReadFile(*licenseFile)
	if err != nil {
		return usage("-license-file: %v", err)
	}
	if *flavor == "" {
		*flavor = map[bool]string{true: "UPX-packed", false: "plain"}[*packed]
	}
	work, err := os.MkdirTemp("", "packages-")
	if err != nil {
		fmt.Fprintf(stderr, "packages: %v\n", err)
		return 1
	}
	defer os.RemoveAll(work)

	b := packaging.Build{
		Meta: packaging.Meta{
			Name: *name, Summary: *summary, Maintainer: *maintainer, Homepage: *homepage,
			License: *license, LicenseText: string(text),
		},
		Version: v, Date: when, Packed: *packed, Flavor: *flavor, Suffix: *suffix,
	}
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	results, err := b.Run(ctx, packaging.Options{
		Platforms: strings.Fields(*platforms), Formats: fmts, BinPrefix: abs(*binPrefix), OutDir: *out,
		NFPM: *nfpm, APK: *apk, APKKey: *apkKey, SBOMDir: *sbomDir, WorkDir: work, Log: stdout,
	})
	if err != nil {
		fmt.Fprintf(stderr, "packages: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "packages: %d packages of %s (%s) in %s\n", len(results), *version, *flavor, *out)
	return 0
}
