// The settings files and the init files' numbers, held to the server's own flag set,
// defaults and memory model.

package packaging

import (
	"flag"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/memlimit"
	"github.com/getsmall/getsmall/server"
)

// TestStopAndMemory ties the numbers in the init files to the server's own defaults and
// memory model: a stop waits out the whole drain, and MemoryMax leaves room for connections.
func TestStopAndMemory(t *testing.T) {
	t.Parallel()
	d := server.Defaults()
	s := StopTimes()
	if total, err := time.ParseDuration(s.Total); err != nil || total <= d.ShutdownDelay+d.ShutdownTimeout || s.Seconds != int(total/time.Second) {
		t.Errorf("stop total %q (%d s): want more than SHUTDOWN_DELAY %v + SHUTDOWN_TIMEOUT %v", s.Total, s.Seconds, d.ShutdownDelay, d.ShutdownTimeout)
	}
	m := MemoryCaps()
	if low := memlimit.ForImage(m.MinUPX<<20, true, 2); low.MaxConns > memlimit.MinConns || !low.Fits(1) || memlimit.ForImage((m.MinUPX-1)<<20, true, 2).Fits(1) {
		t.Errorf("MinUPX %d MiB is not where the UPX build first has room for a connection", m.MinUPX)
	}
	if m.ConnsUPX <= memlimit.MinConns || m.ConnsPlain <= m.ConnsUPX {
		t.Errorf("MemoryMax=%s: %d connections (UPX), %d (plain); want room for more than the %d the server allows anyway", m.Max, m.ConnsUPX, m.ConnsPlain, memlimit.MinConns)
	}
	for _, f := range Formats {
		c := contentsOf(t, testBuild(t, true), f)
		var all strings.Builder
		for _, file := range c.Files {
			all.Write(file.Content)
		}
		want := map[Format]string{
			Deb: "TimeoutStopSec=" + s.Total, RPM: "TimeoutStopSec=" + s.Total,
			APK: fmt.Sprintf("retry=\"${retry:-TERM/%d/KILL/5}\"", s.Seconds),
			IPK: fmt.Sprintf("procd_set_param term_timeout %d", s.Seconds),
		}[f]
		if !strings.Contains(all.String(), want) {
			t.Errorf("%s: no %q", f, want)
		}
	}
}

// serverVariables lists the variables the server reads, from its own flag set.
func serverVariables(t *testing.T) []string {
	t.Helper()
	cfg := server.Defaults()
	fs, err := server.NewFlagSet("test", &cfg, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	var vars []string
	re := regexp.MustCompile(`\(env ([A-Z_]+)\)`)
	fs.VisitAll(func(f *flag.Flag) {
		if m := re.FindStringSubmatch(f.Usage); m != nil {
			vars = append(vars, m[1])
		}
	})
	if len(vars) < 9 {
		t.Fatalf("the server's flag set names %d variables: %v", len(vars), vars)
	}
	return vars
}

// TestSettingsFiles holds each settings file to the server's variables: every one listed,
// ADDR set to its default, the others commented out, and every value shown one the server
// accepts.
func TestSettingsFiles(t *testing.T) {
	t.Parallel()
	vars := serverVariables(t)
	for _, f := range Formats {
		c := contentsOf(t, testBuild(t, true), f)
		path := map[Format]string{Deb: "/etc/default/getsmall", RPM: "/etc/sysconfig/getsmall", APK: "/etc/conf.d/getsmall", IPK: "/etc/config/getsmall", APK3: "/etc/config/getsmall"}[f]
		text := fileContent(t, c, path)
		for _, v := range append(vars, "GOMEMLIMIT") {
			var set, commented string
			switch f {
			case Deb, RPM:
				set, commented = "\n"+v+"=", "\n#"+v+"="
			case APK:
				set, commented = "\n"+v+`="`, "\n#"+v+`="`
			case IPK, APK3:
				set, commented = "\toption "+strings.ToLower(v)+" '", "\t# option "+strings.ToLower(v)+" '"
			}
			if v == "ADDR" {
				commented = set
			}
			if !strings.Contains(text, commented) || v != "ADDR" && strings.Contains(text, set) {
				t.Errorf("%s %s: want %q (and not %q):\n%s", f, path, commented, set, text)
			}
		}
		// Every value shown is one the server takes: uncomment any line and it starts.
		uci := regexp.MustCompile(`(?m)^\t(?:# )?option ([a-z_]+) '(.*)'$`)
		line := map[Format]*regexp.Regexp{
			Deb: regexp.MustCompile(`(?m)^#?([A-Z_]+)=(.*)$`), RPM: regexp.MustCompile(`(?m)^#?([A-Z_]+)=(.*)$`),
			APK: regexp.MustCompile(`(?m)^#?([A-Z_]+)="(.*)"$`), IPK: uci, APK3: uci,
		}[f]
		for _, m := range line.FindAllStringSubmatch(text, -1) {
			name, value := strings.ToUpper(m[1]), m[2]
			if name == "ENABLED" || name == "GOMEMLIMIT" || value == "" {
				continue
			}
			cfg := server.Defaults()
			if _, err := server.NewFlagSet("test", &cfg, func(k string) (string, bool) { return value, k == name }); err != nil {
				t.Errorf("%s %s: %s=%q: the server refuses it: %v", f, path, name, value, err)
			}
		}
	}
}
