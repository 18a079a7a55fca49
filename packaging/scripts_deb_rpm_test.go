// The .deb's and the .rpm's maintainer scripts, run as dpkg and rpm would against
// deb-systemd-helper, deb-systemd-invoke and systemctl stand-ins.

package packaging

import (
	"slices"
	"strings"
	"testing"
)

// TestDebScripts runs the .deb's scripts as dpkg would, against deb-systemd-helper,
// deb-systemd-invoke and systemctl stand-ins.
func TestDebScripts(t *testing.T) {
	t.Parallel()
	s := scriptsOf(t, Deb)
	h := newHarness(t, "deb-systemd-helper", "deb-systemd-invoke", "systemctl", "rm")
	live := systemdRunning()

	// A first installation: enabled (was-enabled is true on a first installation), started.
	for range 2 { // twice: the same calls, no failure
		calls, out, err := h.run(t, s["postinstall"], nil, "configure", "")
		if err != nil {
			t.Fatalf("postinst configure: %v\n%s", err, out)
		}
		want := []string{
			"deb-systemd-helper unmask getsmall.service",
			"deb-systemd-helper --quiet was-enabled getsmall.service",
			"deb-systemd-helper enable getsmall.service",
			"deb-systemd-helper --quiet debian-installed getsmall.socket",
			"deb-systemd-helper unmask getsmall.socket",
			"deb-systemd-helper --quiet was-enabled getsmall.socket",
			"deb-systemd-helper enable getsmall.socket", // the stand-in says it was enabled
			"deb-systemd-helper update-state getsmall.socket",
		}
		if live {
			want = append(want, "systemctl --system daemon-reload", "deb-systemd-invoke start getsmall.service")
		}
		if !slices.Equal(calls, want) {
			t.Errorf("postinst configure (first installation):\n%s\nwant\n%s", strings.Join(calls, "\n"), strings.Join(want, "\n"))
		}
	}
	// An upgrade where the administrator disabled the service and never enabled the socket.
	calls, out, err := h.run(t, s["postinstall"], []string{"STUB_DEB_SYSTEMD_HELPER_EXIT=1"}, "configure", "1.2.2")
	if err != nil {
		t.Fatalf("postinst configure upgrade: %v\n%s", err, out)
	}
	for _, c := range calls {
		if strings.Contains(c, " enable ") {
			t.Errorf("postinst upgrade of a disabled service: %q; the administrator's choice stays", c)
		}
	}
	if !slices.Contains(calls, "deb-systemd-helper update-state getsmall.service") || !slices.Contains(calls, "deb-systemd-helper update-state getsmall.socket") {
		t.Errorf("postinst upgrade: %q; want update-state for both units, so that purge removes their links", calls)
	}
	if live && !slices.Contains(calls, "deb-systemd-invoke restart getsmall.service") {
		t.Errorf("postinst upgrade: %q; want a restart", calls)
	}
	// Any other action does nothing.
	if calls, _, err := h.run(t, s["postinstall"], nil, "triggered", "x"); err != nil || len(calls) != 0 {
		t.Errorf("postinst triggered: %q, %v; want nothing", calls, err)
	}

	// Without deb-systemd-helper: systemctl enables it, on a first installation only.
	bare := newHarness(t, "systemctl", "rm")
	calls, out, err = bare.run(t, s["postinstall"], nil, "configure", "")
	if err != nil || !slices.Contains(calls, "systemctl --quiet enable getsmall.service") {
		t.Errorf("postinst without deb-systemd-helper: %q, %v\n%s", calls, err, out)
	}
	calls, _, _ = bare.run(t, s["postinstall"], nil, "configure", "1.2.2")
	if slices.Contains(calls, "systemctl --quiet enable getsmall.service") {
		t.Errorf("postinst upgrade without deb-systemd-helper: %q; want no enable", calls)
	}

	// prerm: stops on removal (only where systemd runs), not on an upgrade.
	calls, _, err = h.run(t, s["preremove"], nil, "upgrade", "1.2.4")
	if err != nil || len(calls) != 0 {
		t.Errorf("prerm upgrade: %q, %v; want nothing", calls, err)
	}
	calls, _, err = h.run(t, s["preremove"], nil, "remove")
	wantStop := []string{"deb-systemd-invoke stop getsmall.socket getsmall.service"}
	if !live {
		wantStop = nil
	}
	if err != nil || !slices.Equal(calls, wantStop) {
		t.Errorf("prerm remove: %q, %v; want %q", calls, err, wantStop)
	}

	// postrm: remove masks, purge removes links, state and masks; twice is fine.
	for range 2 {
		calls, _, err = h.run(t, s["postremove"], nil, "remove")
		want := []string{"deb-systemd-helper mask getsmall.service getsmall.socket"}
		if live {
			want = append([]string{"systemctl --system daemon-reload"}, want...)
		}
		if err != nil || !slices.Equal(calls, want) {
			t.Errorf("postrm remove: %q, %v; want %q", calls, err, want)
		}
		calls, _, err = h.run(t, s["postremove"], nil, "purge")
		want = []string{"deb-systemd-helper purge getsmall.service getsmall.socket", "deb-systemd-helper unmask getsmall.service getsmall.socket"}
		if err != nil || !slices.Equal(calls, want) {
			t.Errorf("postrm purge: %q, %v; want %q", calls, err, want)
		}
	}
	calls, _, err = bare.run(t, s["postremove"], nil, "purge")
	if err != nil || len(calls) != 1 || !strings.HasPrefix(calls[0], "rm -f /etc/systemd/system/multi-user.target.wants/getsmall.service") {
		t.Errorf("postrm purge without deb-systemd-helper: %q, %v; want the links removed", calls, err)
	}
}

// TestRPMScripts runs the .rpm's scriptlets with rpm's counts: presets on a first
// installation only, disable and stop on removal only, try-restart after an upgrade.
func TestRPMScripts(t *testing.T) {
	t.Parallel()
	s := scriptsOf(t, RPM)
	h := newHarness(t, "systemctl")
	live := systemdRunning()
	reload := []string{}
	if live {
		reload = []string{"systemctl daemon-reload"}
	}
	for _, c := range []struct {
		script, arg string
		want        []string
	}{
		{"postinstall", "1", append([]string{"systemctl --no-reload preset getsmall.service getsmall.socket"}, reload...)},
		{"postinstall", "2", reload},
		{"preremove", "0", []string{"systemctl --no-reload disable --now getsmall.socket getsmall.service"}},
		{"preremove", "1", nil},
		{"postremove", "0", reload},
		{"postremove", "1", append(slices.Clone(reload), map[bool][]string{true: {"systemctl try-restart getsmall.service"}}[live]...)},
	} {
		for range 2 {
			calls, out, err := h.run(t, s[c.script], nil, c.arg)
			if err != nil || !slices.Equal(calls, c.want) {
				t.Errorf("%s %s: %q, %v; want %q\n%s", c.script, c.arg, calls, err, c.want, out)
			}
		}
	}
	// A failing systemctl fails no scriptlet.
	if _, out, err := h.run(t, s["preremove"], []string{"STUB_SYSTEMCTL_EXIT=1"}, "0"); err != nil {
		t.Errorf("preun with a failing systemctl: %v\n%s", err, out)
	}
}
