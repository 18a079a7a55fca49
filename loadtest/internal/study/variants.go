package study

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/getsmall/getsmall/loadtest/internal/nginx"
	"github.com/getsmall/getsmall/loadtest/internal/report"
)

// variants packs the UPX levels and lists every server to measure.
func (s *Study) variants() ([]variant, error) {
	c := &s.cfg
	addr := c.addr()
	size := func(path string) int64 {
		if fi, err := os.Stat(path); err == nil {
			return fi.Size()
		}
		return 0
	}
	product := func(name, kind, path string, pack float64) variant {
		return variant{
			Variant: report.Variant{Name: name, Kind: kind, SizeBytes: size(path), PackSeconds: pack},
			argv:    []string{path, "-addr", addr}, binary: path, goBin: true,
		}
	}
	// The peers take -addr as getsmall does; they are Go programs with no healthcheck.
	peer := func(name, path string) variant {
		return variant{
			Variant: report.Variant{Name: name, Kind: "baseline", SizeBytes: size(path)},
			argv:    []string{path, "-addr", addr}, goBin: true,
		}
	}
	vs := []variant{product(report.Getsmall, "plain", c.Getsmall, 0)}

	binDir := filepath.Join(c.OutDir, "bin")
	if err := os.MkdirAll(binDir, 0o750); err != nil {
		return nil, err
	}
	for _, level := range c.UPXLevels {
		out := filepath.Join(binDir, "getsmall-upx-"+strings.TrimLeft(level, "-"))
		s.logf("packing with upx %s", level)
		took, err := s.pack(level, out)
		if err != nil {
			return nil, err
		}
		vs = append(vs, product("getsmall-upx "+level, "upx", out, took.Seconds()))
	}
	for _, e := range c.Extra {
		v := product(e.Name, "build", e.Path, 0)
		v.env = e.Env
		vs = append(vs, v)
	}
	vs = append(vs, peer(report.NetHTTP, c.NetHTTP), peer(report.Fasthttp, c.Fasthttp), peer(report.NBIO, c.NBIO))
	if c.Nginx == "" {
		s.note("nginx is not installed: not measured (Debian: apt-get install nginx-light)")
		return vs, nil
	}
	argv, err := nginx.Conf{Dir: filepath.Join(c.OutDir, "nginx"), Addr: addr, Connections: 4096}.Write(c.Nginx)
	if err != nil {
		return nil, err
	}
	s.note("nginx: one process (master_process off, 1 worker), `return 200` with the same body; its size is the dynamic binary alone, without its shared libraries")
	return append(vs, variant{
		Variant: report.Variant{Name: report.Nginx, Kind: "baseline", SizeBytes: size(c.Nginx)},
		argv:    argv,
	}), nil
}

// pack runs upx with one level and checks the result with upx -t.
func (s *Study) pack(level, out string) (time.Duration, error) {
	_ = os.Remove(out)
	started := time.Now()
	if b, err := exec.Command(s.cfg.UPX, "-q", level, "-o", out, s.cfg.Getsmall).CombinedOutput(); err != nil { //nolint:gosec // upx with the study's own arguments
		return 0, fmt.Errorf("upx %s: %w: %s", level, err, strings.TrimSpace(string(b)))
	}
	took := time.Since(started)
	if b, err := exec.Command(s.cfg.UPX, "-q", "-t", out).CombinedOutput(); err != nil { //nolint:gosec // as above
		return 0, fmt.Errorf("upx -t %s: %w: %s", out, err, strings.TrimSpace(string(b)))
	}
	return took, nil
}
