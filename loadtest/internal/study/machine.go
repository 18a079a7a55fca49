package study

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/getsmall/getsmall/loadtest/internal/report"
)

// machine records the hardware and every tool's version, so runs can be compared.
func (s *Study) machine() report.Machine {
	c := &s.cfg
	m := report.Machine{CPUModel: cpuModel(), Cores: runtime.NumCPU(), Kernel: kernel(), Versions: map[string]string{"go": runtime.Version()}}
	set := func(name, v string) {
		if v != "" {
			m.Versions[name] = v
		}
	}
	out := func(argv ...string) string {
		b, _ := exec.Command(argv[0], argv[1:]...).CombinedOutput() //nolint:gosec // version queries of the study's tools
		return string(b)
	}
	set("fasthttp", find(out(c.Getsmall, "version"), `(?m)^fasthttp\s+(\S+)`))
	set("getsmall", find(out(c.Getsmall, "version"), `(?m)^getsmall\s+(\S+)`))
	set("hey", find(out("go", "version", "-m", c.Hey), `(?m)^\s*mod\s+github.com/rakyll/hey\s+(\S+)`))
	if c.UPX != "" {
		set("upx", find(out(c.UPX, "--version"), `(?m)^upx\s+(\S+)`))
	}
	if c.Wrk != "" {
		set("wrk", find(out(c.Wrk, "--version"), `(?m)^wrk\s+(\S+)`))
	}
	if c.Nginx != "" {
		set("nginx", find(out(c.Nginx, "-v"), `nginx/(\S+)`))
	}
	return m
}

func find(s, pattern string) string {
	if m := regexp.MustCompile(pattern).FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// interpret adds the notes a reader needs to read the tables honestly.
func (s *Study) interpret(r *report.Report) {
	c := &s.cfg
	if c.Pin {
		s.note("server on CPU %d, every client on CPU %d (the study pins itself with taskset -a; servers are forked from a thread pinned with sched_setaffinity, so no taskset exec is counted in cold start): GOMAXPROCS follows the affinity, so getsmall, net/http and hey each run on one CPU",
			c.ServerCPU, c.ClientCPU)
	} else {
		s.note("not pinned: servers and clients share %d CPU(s), so the numbers mix both sides' work", runtime.NumCPU())
	}
	s.note("rounds: every server runs once per round in a fresh process, the order rotated by one each round; × nginx and × getsmall are medians of per-round ratios (this server's req/s over the reference's in the same round, both clean), which stay comparable when the machine's speed drifts between rounds")
	for _, tool := range []string{report.Hey, report.Wrk} {
		var bound []string
		total := 0
		for _, v := range r.Variants {
			if t := v.Throughput.Tool(tool); t != nil && t.Median != nil {
				total++
				if t.ClientBound {
					bound = append(bound, v.Name)
				}
			}
		}
		switch {
		case len(bound) == 0:
		case tool == report.Hey:
			s.note("hey used more CPU than the server for %d of %d servers: there req/s measures hey, not the server. wrk, written in C, is the fairer comparison of servers", len(bound), total)
		default:
			s.note("wrk too used more CPU than the server for %s: those wrk numbers are a lower bound", strings.Join(bound, ", "))
		}
	}
	disturbed, runs := 0, 0
	for _, v := range r.Variants {
		for _, tool := range []string{report.Hey, report.Wrk} {
			if t := v.Throughput.Tool(tool); t != nil {
				runs += len(t.Runs)
				disturbed += len(t.Runs) - t.Clean
			}
		}
	}
	far := 0
	for _, v := range r.Variants {
		for _, tool := range []string{report.Hey, report.Wrk} {
			if t := v.Throughput.Tool(tool); t != nil {
				for _, l := range t.Runs {
					if l.Far {
						far++
					}
				}
			}
		}
	}
	if far > 0 {
		s.note("%d runs had a cache-line round trip between the server's and the client's CPU above %.1f× the study's typical near one (%.0f ns, the lower quartile of every probe): the virtual machine's host had moved a CPU into another cache domain, which makes both sides spend more CPU per request with no CPU time lost, so the CPU rule alone cannot see it. Those runs count as disturbed", far, c.FarFactor, s.nearNs())
	}
	if disturbed > 0 {
		s.note("%d of %d runs were disturbed (something else took CPU time from server or client; each was retried up to %d times in its round): they are struck through in the rounds tables and count for nothing", disturbed, runs, c.Retries)
	}
	if s.quietSpent > time.Second {
		s.note("the study waited %v in all for the measured CPUs to go quiet before runs", s.quietSpent.Round(time.Second))
	}
	s.note("hey prints latencies with 0.1 ms resolution and counts failed requests in its req/s: the errors and non-2xx columns are what make a run valid")
	s.note("UPX variants run the same code once unpacked: their × getsmall ratio should be 1 within the spread of rounds. What UPX changes is cold start, memory (the unpacked program is anonymous memory that cannot be shared between processes or paged back from the file) and the cost of every exec, healthchecks included")
	s.bruteNote(r)
}

// bruteNote compares --brute with --lzma when both were measured.
func (s *Study) bruteNote(r *report.Report) {
	var brute, lzma *report.Variant
	for i := range r.Variants {
		switch r.Variants[i].Name {
		case "getsmall-upx --brute":
			brute = &r.Variants[i]
		case "getsmall-upx --lzma":
			lzma = &r.Variants[i]
		}
	}
	if brute == nil || lzma == nil {
		return
	}
	same := "the same size as"
	if brute.SizeBytes != lzma.SizeBytes {
		same = fmt.Sprintf("%+d bytes against", brute.SizeBytes-lzma.SizeBytes)
	}
	s.note("--brute gave %s --lzma (%d bytes) in %.0f s of packing against %.1f s", same, lzma.SizeBytes, brute.PackSeconds, lzma.PackSeconds)
}
