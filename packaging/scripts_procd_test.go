// The .ipk's procd init script, run against stand-ins for OpenWrt's rc.common, UCI and
// procd.sh.

package packaging

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// procdHarness stands in for OpenWrt's rc.common and procd.sh, recording each procd call
// with rec; UCI is make test-packages-apk's functions.sh stand-in ($FUNCTIONS), whose
// config_load reads the config file as the shell it is, here from $UCI_DIR.
const procdHarness = recordShell + `. "$FUNCTIONS"
config_load() { rec config_load "$1"; . "$UCI_DIR/$1"; }
procd_open_instance() { rec procd_open_instance "$@"; }
procd_set_param() { rec procd_set_param "$@"; }
procd_append_param() { rec procd_append_param "$@"; }
procd_close_instance() { rec procd_close_instance "$@"; }
procd_add_reload_trigger() { rec procd_add_reload_trigger "$@"; }
. "$INIT"
rec var USE_PROCD "$USE_PROCD" START "$START" STOP "$STOP"
start_service
service_triggers
`

// TestProcdScript runs the OpenWrt init script's start_service with the packaged UCI
// config, then with settings changed, and checks what it asks procd for.
func TestProcdScript(t *testing.T) {
	t.Parallel()
	c := contentsOf(t, testBuild(t, true), IPK)
	h := newHarness(t)
	uci := filepath.Join(h.dir, "config")
	init := filepath.Join(h.dir, "init")
	mustWrite(t, init, fileContent(t, c, "/etc/init.d/getsmall"), 0o600)
	packaged := fileContent(t, c, "/etc/config/getsmall")
	functions, err := filepath.Abs(filepath.Join(standIns, "openwrt/lib/functions.sh"))
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"UCI_DIR=" + uci, "INIT=" + init, "FUNCTIONS=" + functions}

	write := func(content string) {
		t.Helper()
		mustWrite(t, filepath.Join(uci, "getsmall"), content, 0o600)
	}
	write(packaged)
	recs := h.runRecorded(t, procdHarness, env)
	for _, want := range [][]string{
		{"var", "USE_PROCD", "1", "START", "95", "STOP", "10"},
		{"config_load", "getsmall"},
		{"procd_open_instance"},
		{"procd_set_param", "command", "/usr/bin/getsmall", "serve"},
		{"procd_append_param", "env", "ADDR=:8080"},
		{"procd_set_param", "user", "getsmall"},
		{"procd_set_param", "group", "getsmall"},
		{"procd_set_param", "no_new_privs", "1"},
		{"procd_set_param", "respawn", "3600", "5", "5"},
		{"procd_set_param", "term_timeout", "10"},
		{"procd_set_param", "stderr", "1"},
		{"procd_set_param", "file", "/etc/config/getsmall", "/usr/bin/getsmall"},
		{"procd_close_instance"},
		{"procd_add_reload_trigger", "getsmall"},
	} {
		if r := findRecord(recs, want...); r == nil || len(r) != len(want) {
			t.Errorf("no %q among the calls:\n%v", want, recs)
		}
	}
	var envs []string
	for _, r := range recs {
		if len(r) == 3 && r[0] == "procd_append_param" && r[1] == "env" {
			envs = append(envs, r[2])
		}
	}
	if !slices.Equal(envs, []string{"ADDR=:8080"}) {
		t.Errorf("environment %q; want only ADDR: the other options are commented out", envs)
	}

	// Options set: each becomes its variable; respawn options apply.
	write(packaged + "\toption shutdown_delay '5s'\n\toption max_conns '200'\n\toption respawn_retry '0'\n")
	recs = h.runRecorded(t, procdHarness, env)
	for _, want := range [][]string{
		{"procd_append_param", "env", "SHUTDOWN_DELAY=5s"},
		{"procd_append_param", "env", "MAX_CONNS=200"},
		{"procd_set_param", "respawn", "3600", "5", "0"},
	} {
		if findRecord(recs, want...) == nil {
			t.Errorf("no %q among the calls:\n%v", want, recs)
		}
	}
	// Disabled: no instance.
	write(strings.Replace(packaged, "option enabled '1'", "option enabled '0'", 1))
	recs = h.runRecorded(t, procdHarness, env)
	if findRecord(recs, "procd_open_instance") != nil {
		t.Errorf("enabled '0' still opened an instance:\n%v", recs)
	}
}
