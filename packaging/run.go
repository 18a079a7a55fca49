// Run: one nfpm call per package of the plan, and each package's SBOM beside it.

package packaging

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// Options are a run's inputs besides the build.
type Options struct {
	Platforms []string
	Formats   []Format
	BinPrefix string // a platform's binary is BinPrefix + PlatformName(platform)
	OutDir    string
	NFPM      string // the nfpm binary
	APK       string // apk-tools' apk: it writes the OpenWrt packages and the repositories' indexes
	APKKey    string // optional: the apk key (NAME.rsa, NAME.rsa.pub beside it) that signs them
	SBOMDir   string // optional: <platform name>.cdx.json per platform, copied per package
	WorkDir   string
	Log       io.Writer
}

// Result is one package written.
type Result struct {
	Target
	Path string
	Size int64
}

// Run writes every package of the plan into OutDir, one nfpm call each (apk mkpkg for
// OpenWrt's .apk), an SBOM next to each when SBOMDir is set, and, with the apk key, the apk
// packages' repositories. It says one line per skipped pair, per package and per repository.
func (b Build) Run(ctx context.Context, o Options) ([]Result, error) {
	targets, skips := Plan(o.Platforms, o.Formats)
	for _, s := range skips {
		fmt.Fprintf(o.Log, "packages: %s\n", s)
	}
	if len(targets) == 0 {
		return nil, errors.New("no package to build for these platforms and formats")
	}
	if o.APK == "" && (plannedFormat(targets, APK3) || o.APKKey != "" && plannedFormat(targets, APK)) {
		return nil, errors.New("the OpenWrt packages and the apk repositories need apk-tools (make apk-tools)")
	}
	if o.APKKey != "" {
		if _, err := loadAPKKey(o.APKKey); err != nil {
			return nil, err
		}
	}
	for _, p := range o.Platforms {
		if bin := o.BinPrefix + PlatformName(p); !exists(bin) && planned(targets, p) {
			return nil, fmt.Errorf("%s: no such binary (make build-all, or build-upx-all for the UPX-packed one)", bin)
		}
	}
	if err := os.MkdirAll(o.OutDir, 0o750); err != nil {
		return nil, err
	}
	if err := b.Clean(o.OutDir); err != nil {
		return nil, err
	}
	var out []Result
	for _, t := range targets {
		binary := o.BinPrefix + PlatformName(t.Platform)
		c, err := b.Contents(t.Format, binary)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(o.WorkDir, string(t.Format)+"-"+t.Arch)
		path := filepath.Join(o.OutDir, b.FileName(t))
		if t.Format == APK3 {
			err = b.mkpkg(ctx, o.APK, o.APKKey, t, c, dir, path+".tmp")
		} else {
			err = b.nfpm(ctx, o, t, c, dir, path+".tmp")
		}
		if err != nil {
			_ = os.Remove(path + ".tmp")
			return nil, err
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			return nil, err
		}
		info, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if o.SBOMDir != "" {
			if err := b.copySBOM(filepath.Join(o.SBOMDir, PlatformName(t.Platform)+".cdx.json"), path); err != nil {
				return nil, err
			}
		}
		fmt.Fprintf(o.Log, "packages: %s (%d bytes, %s %s)\n", path, info.Size(), t.Platform, t.Arch)
		out = append(out, Result{Target: t, Path: path, Size: info.Size()})
	}
	if plannedFormat(targets, repoFormats...) {
		if err := b.writeRepos(ctx, o, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// nfpm writes target t's package to out with nfpm, from c's files and scripts written
// under dir; the project's apk key, when set, signs an .apk.
func (b Build) nfpm(ctx context.Context, o Options, t Target, c Contents, dir, out string) error {
	if err := b.WriteFiles(c, dir); err != nil {
		return err
	}
	config := b.Config(t, c, dir)
	if t.Format == APK && o.APKKey != "" {
		name, _ := APKKeyName(o.APKKey)
		config.APK.Signature = &NFPMAPKSignature{KeyFile: o.APKKey, KeyName: name}
	}
	cfg, err := json.MarshalIndent(config, "", "  ")
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(dir, "nfpm.yaml")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, o.NFPM, "package", "--config", cfgPath, "--packager", string(t.Format), "--target", out) //nolint:gosec // the nfpm make built
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+strconv.FormatInt(b.Date.Unix(), 10))
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("nfpm %s %s: %w\n%s", t.Format, t.Arch, err, stderr.String())
	}
	return nil
}

// exists tells whether path names a file or directory.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// planned tells whether any of the targets is built from platform's binary.
func planned(ts []Target, platform string) bool {
	return slices.ContainsFunc(ts, func(t Target) bool { return t.Platform == platform })
}

// plannedFormat tells whether any of the targets is of one of the formats.
func plannedFormat(ts []Target, formats ...Format) bool {
	return slices.ContainsFunc(ts, func(t Target) bool { return slices.Contains(formats, t.Format) })
}

// copySBOM writes the platform binary's SBOM next to a package, as <package>.cdx.json,
// with the fields syft makes up on each run, or takes from where the binary was, fixed:
// the time is BUILD_DATE, the serial number and the scanned file's reference are derived
// from the package's bytes. The same commit then gives the same
// SBOM, and SHA256SUMS over packages and SBOMs the same bytes.
func (b Build) copySBOM(sbom, pkg string) error {
	raw, err := os.ReadFile(sbom) //nolint:gosec // the SBOM make wrote
	if err != nil {
		return fmt.Errorf("SBOM: %w", err)
	}
	content, err := os.ReadFile(pkg) //nolint:gosec // the package just written
	if err != nil {
		return err
	}
	sum := sha256.Sum256(content)
	// The scanned file's reference comes from its path: the package's bytes name it instead.
	var head struct {
		Metadata struct {
			Component struct {
				Ref string `json:"bom-ref"`
			} `json:"component"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return fmt.Errorf("SBOM %s: %w", sbom, err)
	}
	if ref := head.Metadata.Component.Ref; ref != "" {
		raw = bytes.ReplaceAll(raw, []byte(strconv.Quote(ref)), []byte(strconv.Quote(hex.EncodeToString(sum[:8]))))
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("SBOM %s: %w", sbom, err)
	}
	sum[6] = sum[6]&0x0f | 0x50 // an RFC 9562 name-based (SHA) UUID
	sum[8] = sum[8]&0x3f | 0x80
	doc["serialNumber"] = fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
	if meta, ok := doc["metadata"].(map[string]any); ok {
		meta["timestamp"] = b.Date.UTC().Format(time.RFC3339)
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(pkg+".cdx.json", append(out, '\n'), 0o644) //nolint:gosec // a public file
}
