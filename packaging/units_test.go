// The systemd units the .deb and the .rpm install: their hardening, their socket, and
// systemd-analyze's verdict on them.

package packaging

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// hardening is every line of the unit's [Service] the brief asks for, in both builds.
var hardening = []string{
	"DynamicUser=yes", "CapabilityBoundingSet=", "AmbientCapabilities=", "NoNewPrivileges=yes",
	"ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
	"ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectKernelLogs=yes",
	"ProtectControlGroups=yes", "ProtectClock=yes", "ProtectHostname=yes", "ProtectProc=invisible",
	"RestrictAddressFamilies=AF_INET AF_INET6", "RestrictNamespaces=yes", "LockPersonality=yes",
	"RestrictRealtime=yes", "RestrictSUIDSGID=yes", "SystemCallArchitectures=native",
	"SystemCallFilter=@system-service", "SystemCallFilter=~@privileged @resources",
	"SystemCallErrorNumber=EPERM", "UMask=0077", "MemoryMax=32M", "KillSignal=SIGTERM",
	"TimeoutStopSec=10s", "Restart=on-failure", "ExecStart=/usr/bin/getsmall serve", "WantedBy=multi-user.target",
}

// systemdFormats are the formats whose packages carry systemd units.
var systemdFormats = []Format{Deb, RPM}

// unitLines returns a unit's lines, trimmed, without blank lines and comments.
func unitLines(unit string) []string {
	var out []string
	for l := range strings.Lines(unit) {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// TestSystemdUnits holds the service to the hardening both builds share, the plain build's
// MemoryDenyWriteExecute=yes, no user and no capability, and the socket to one
// ListenStream.
func TestSystemdUnits(t *testing.T) {
	t.Parallel()
	for _, packed := range []bool{true, false} {
		for _, f := range systemdFormats {
			c := contentsOf(t, testBuild(t, packed), f)
			service := unitLines(fileContent(t, c, UnitDir(f)+"/getsmall.service"))
			for _, want := range append(hardening, "EnvironmentFile=-"+EnvFile(f, "getsmall")) {
				if !slices.Contains(service, want) {
					t.Errorf("%s, packed %v: no %q in the service", f, packed, want)
				}
			}
			// A UPX-packed binary writes its unpacked code, then runs it.
			if mdwe := slices.Contains(service, "MemoryDenyWriteExecute=yes"); mdwe == packed {
				t.Errorf("%s, packed %v: MemoryDenyWriteExecute=yes present %v; want it in the plain build's unit only", f, packed, mdwe)
			}
			for _, l := range service {
				if strings.HasPrefix(l, "User=") || strings.HasPrefix(l, "Capabilit") && l != "CapabilityBoundingSet=" {
					t.Errorf("%s: %q: the unit needs no user and no capability", f, l)
				}
			}
			socket := unitLines(fileContent(t, c, UnitDir(f)+"/getsmall.socket"))
			for _, want := range []string{"[Socket]", "ListenStream=8080", "WantedBy=sockets.target"} {
				if !slices.Contains(socket, want) {
					t.Errorf("%s: no %q in the socket", f, want)
				}
			}
			if n := len(slices.DeleteFunc(slices.Clone(socket), func(l string) bool { return !strings.HasPrefix(l, "ListenStream=") })); n != 1 {
				t.Errorf("%s: %d ListenStream lines; the server serves one socket", f, n)
			}
		}
	}
}

// TestSystemdAnalyze has systemd check the units: systemd-analyze verify (every directive
// known and well-formed; any complaint fails) and security, whose exposure score must stay
// at most 2.0 ("OK"), offline, on a root holding the package's files.
func TestSystemdAnalyze(t *testing.T) {
	t.Parallel()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not found (apt-get install systemd): the units are not verified")
	}
	hostUnits, _ := filepath.Glob("/lib/systemd/system/*.target")
	if len(hostUnits) == 0 {
		t.Skip("no systemd targets in /lib/systemd/system to verify the units against")
	}
	for _, packed := range []bool{true, false} {
		for _, f := range systemdFormats {
			c := contentsOf(t, testBuild(t, packed), f)
			root := t.TempDir()
			unitDir := filepath.Join(root, UnitDir(f))
			for _, file := range c.Files {
				content := string(file.Content)
				if file.Source != "" {
					content = "#!/bin/sh\n"
				}
				mustWrite(t, filepath.Join(root, file.Dst), content, file.Mode)
			}
			for _, u := range append(hostUnits, must(filepath.Glob("/lib/systemd/system/*.slice"))...) {
				mustWrite(t, filepath.Join(unitDir, filepath.Base(u)), mustRead(t, u), 0o644)
			}
			out, err := exec.Command(analyze, "verify", "--root="+root, UnitDir(f)+"/getsmall.service", UnitDir(f)+"/getsmall.socket").CombinedOutput()
			if err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("%s, packed %v: systemd-analyze verify: %v\n%s", f, packed, err, out)
			}
			out, err = exec.Command(analyze, "security", "--offline=true", "--root="+root, "--threshold=20", "getsmall.service").CombinedOutput()
			if err != nil {
				t.Errorf("%s, packed %v: systemd-analyze security: exposure above 2.0 or an error: %v\n%s", f, packed, err, out)
			}
			if !packed && bytes.Contains(out, []byte("✗ MemoryDenyWriteExecute=")) {
				t.Errorf("%s, plain: systemd-analyze sees no MemoryDenyWriteExecute=", f)
			}
		}
	}
}
