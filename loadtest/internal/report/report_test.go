package report

import (
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getsmall/getsmall/loadtest/internal/parse"
	"github.com/getsmall/getsmall/loadtest/internal/stats"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixed is a small, hand-made report: two getsmall variants, a baseline, one of them
// client-bound, one without wrk.
func fixed() *Report {
	load := func(rps, server, client float64) Load {
		return Load{Run: parse.Run{Requests: 1000, RPS: rps, P50Ms: 1.2, P99Ms: 7.5}, ServerCPUSec: server, ClientCPUSec: client, WallSec: 1}
	}
	return &Report{
		Date: time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC),
		Machine: Machine{CPUModel: "Test CPU <x>", Cores: 2, Kernel: "6.1.0",
			Versions: map[string]string{"go": "go1.26.8", "upx": "4.2.2", "hey": "v0.1.5"}},
		Params: Params{Requests: 1000, Concurrency: 50, Runs: 3, WarmupRequests: 100, ColdRuns: 20,
			HealthcheckRuns: 10, UPXLevels: []string{"--lzma"}, WrkDuration: "1s", Pinned: true,
			ServerCPU: "0", ClientCPU: "1", Addr: "127.0.0.1:18080"},
		Variants: []Variant{
			{Name: "getsmall", Kind: "plain", SizeBytes: 6291582,
				ColdStartMs: stats.Summary{N: 20, Min: 4.5, P50: 5.6, P95: 7, Max: 9.25},
				RSSStart:    RSS{AnonKB: 1200, FileKB: 5300},
				RSSLoad:     RSS{AnonKB: 2100, FileKB: 5300},
				Healthcheck: &Exec{WallMs: stats.Summary{P50: 3.1}, CPUMs: stats.Summary{P50: 2}, MaxRSSKB: 9644},
				Throughput: &Throughput{Runs: []Load{load(23000, 2, 4), load(24000, 2, 4), load(26000, 2, 4)}, Median: load(24000, 2, 4), ClientBound: true,
					WrkRuns: []Load{{Run: parse.Run{RPS: 69000}}, {Run: parse.Run{RPS: 71000, P99Ms: 4.48}}, {Run: parse.Run{RPS: 75000}}},
					Wrk:     &Load{Run: parse.Run{RPS: 71000, P99Ms: 4.48}}}},
			{Name: "getsmall-upx --lzma", Kind: "upx", SizeBytes: 1994656, PackSeconds: 5.04,
				ColdStartMs: stats.Summary{N: 20, Min: 150, P50: 170, P95: 180, Max: 190},
				RSSStart:    RSS{AnonKB: 7300},
				Healthcheck: &Exec{WallMs: stats.Summary{P50: 160}, CPUMs: stats.Summary{P50: 158}}},
			{Name: "net/http", Kind: "baseline", SizeBytes: 5000000,
				ColdStartMs: stats.Summary{N: 20, Min: 3, P50: 4, P95: 5, Max: 6},
				Throughput:  &Throughput{Runs: []Load{load(20000, 3, 2)}, Median: load(20000, 3, 2)}},
		},
		Notes: []string{"hey is the bottleneck"},
	}
}

func TestMarkdownGolden(t *testing.T) {
	t.Parallel()
	got := fixed().Markdown()
	path := filepath.Join("testdata", "report.md")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("Markdown differs from %s (go test -update to accept):\n%s", path, got)
	}
}

func TestChart(t *testing.T) {
	t.Parallel()
	svg := fixed().Chart()

	// Well-formed XML, with one bar per variant in the cold-start and size panels and one
	// per measured server in the throughput panel.
	dec := xml.NewDecoder(strings.NewReader(svg))
	bars, markers, hatched := 0, 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("chart is not well-formed XML: %v", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		for _, a := range se.Attr {
			switch {
			case a.Name.Local == "class" && a.Value == "bar":
				bars++
			case a.Name.Local == "class" && a.Value == "marker":
				markers++
			case a.Name.Local == "fill" && a.Value == "url(#hatch)":
				hatched++
			}
		}
	}
	if want := 3 + 3 + 2; bars != want {
		t.Errorf("%d bars, want %d", bars, want)
	}
	if markers != 1 || hatched != 1 {
		t.Errorf("%d wrk markers and %d hatched bars, want 1 and 1", markers, hatched)
	}
	for _, s := range []string{"Test CPU &lt;x&gt;", "getsmall-upx --lzma", "170.0 ms", "1.99 MB", "24,000 req/s · wrk 71,000 (client-bound)"} {
		if !strings.Contains(svg, s) {
			t.Errorf("chart lacks %q", s)
		}
	}
}

func TestWriteAndRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := fixed()
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Read(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if back.Markdown() != r.Markdown() {
		t.Error("report.json does not round-trip")
	}
	for _, name := range []string{"report.md", "chart.svg"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestThousands(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 6291582: "6,291,582", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
