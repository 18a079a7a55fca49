// The .apk's OpenRC init script, run against an openrc-run stand-in.

package packaging

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// openrcHarness stands in for openrc-run: it reads the conf.d file, then the script, as
// openrc-run does, runs depend and start_pre, and records the variables supervise-daemon
// is started with and the environment the server would get.
const openrcHarness = recordShell + `ebegin() { :; }
eend() { :; }
einfo() { :; }
ewarn() { :; }
eerror() { :; }
need() { rec need "$@"; }
use() { rec use "$@"; }
after() { rec after "$@"; }
before() { rec before "$@"; }
provide() { rec provide "$@"; }
RC_SVCNAME=getsmall
. "$CONF"
. "$INIT"
depend
start_pre
for v in name command command_args command_user supervisor pidfile command_background respawn_delay respawn_max respawn_period error_logger output_logger umask retry; do
	eval "rec var $v \"\${$v-(unset)}\""
done
env | sort | while IFS= read -r l; do rec env "$l"; done
`

// TestOpenRCScript runs the Alpine init script as openrc-run would, with the packaged
// conf.d file, then with settings added, and checks how supervise-daemon would start the
// server and the environment the server would get.
func TestOpenRCScript(t *testing.T) {
	t.Parallel()
	c := contentsOf(t, testBuild(t, true), APK)
	h := newHarness(t)
	init, conf := filepath.Join(h.dir, "init"), filepath.Join(h.dir, "conf")
	mustWrite(t, init, fileContent(t, c, "/etc/init.d/getsmall"), 0o600)
	packaged := fileContent(t, c, "/etc/conf.d/getsmall")
	vars := serverVariables(t)
	run := func(confText string) (map[string]string, map[string]string, [][]string) {
		t.Helper()
		mustWrite(t, conf, confText, 0o600)
		recs := h.runRecorded(t, openrcHarness, []string{"INIT=" + init, "CONF=" + conf})
		got, env := map[string]string{}, map[string]string{}
		for _, r := range recs {
			switch {
			case len(r) == 3 && r[0] == "var":
				got[r[1]] = r[2]
			case len(r) == 2 && r[0] == "env":
				k, v, _ := strings.Cut(r[1], "=")
				if slices.Contains(vars, k) || k == "GOMEMLIMIT" {
					env[k] = v
				}
			}
		}
		return got, env, recs
	}
	got, env, recs := run(packaged)
	for k, want := range map[string]string{
		"command": "/usr/bin/getsmall", "command_args": "serve", "command_user": "getsmall:getsmall",
		"supervisor": "supervise-daemon", "respawn_delay": "2", "respawn_max": "5", "respawn_period": "60",
		"error_logger": "logger -t getsmall -p daemon.info", "umask": "077", "retry": "TERM/10/KILL/5",
		"command_background": "(unset)", "pidfile": "(unset)",
	} {
		if got[k] != want {
			t.Errorf("%s=%q, want %q", k, got[k], want)
		}
	}
	if findRecord(recs, "use", "net", "logger") == nil || findRecord(recs, "after", "firewall") == nil {
		t.Errorf("depend: %v; want use net logger, after firewall", recs)
	}
	if len(env) != 1 || env["ADDR"] != ":8080" {
		t.Errorf("the server's environment %v; want ADDR=:8080 alone", env)
	}
	// Settings in conf.d reach the server; retry can be raised there.
	got, env, _ = run(packaged + "SHUTDOWN_DELAY=\"5s\"\nREAD_TIMEOUT=\"2s\"\nretry=\"TERM/20/KILL/5\"\n")
	if env["SHUTDOWN_DELAY"] != "5s" || env["READ_TIMEOUT"] != "2s" || got["retry"] != "TERM/20/KILL/5" {
		t.Errorf("with settings: env %v, retry %q", env, got["retry"])
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, " ") != "ADDR READ_TIMEOUT SHUTDOWN_DELAY" {
		t.Errorf("environment %v; want only the variables set", keys)
	}
}
