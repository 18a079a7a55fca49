package manifest

import (
	"strings"
	"testing"

	"github.com/getsmall/getsmall/memlimit"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// TestOverlayMemory prints what the server derives in each overlay (docs/kubernetes.md's table)
// and holds the overlays to the choices behind it: every overlay lets the server derive
// its cap, and edge asks for no more than the UPX image needs, with the smallest limit
// that still gives it MinUsefulConns connections.
func TestOverlayMemory(t *testing.T) {
	t.Parallel()
	t.Logf("%-5s %-5s %8s %7s %10s %9s %10s", "", "image", "request", "limit", "GOMAXPROCS", "max-conns", "GOMEMLIMIT")
	for _, overlay := range []string{"dev", "prod", "edge"} {
		s := render(t, overlay)
		upx := runsUPX(s)
		c, err := s.Container(ContainerName)
		if err != nil {
			t.Fatal(err)
		}
		m, err := MemoryOf(c, upx)
		if err != nil {
			t.Fatalf("%s: %v", overlay, err)
		}
		image := map[bool]string{false: "plain", true: "UPX"}[upx]
		t.Logf("%-5s %-5s %8s %7s %10d %9d %10s", overlay, image, wholeMi(m.Request), wholeMi(m.Limit), m.Procs, m.Conns, mib(m.Budget.SoftLimit))
		if m.ConnsSet {
			t.Errorf("%s sets MAX_CONNS %d: let the server derive it from the limit", overlay, m.Conns)
		}
		if overlay != "edge" {
			continue
		}
		if want := wholeMi(memlimit.BaselineUPXBytes); wholeMi(m.Request) != want {
			t.Errorf("edge requests %s of memory, want %s: what a started UPX server uses, rounded up", wholeMi(m.Request), want)
		}
		if smaller := memlimit.ForImage(m.Limit-1<<20, true, m.Procs); smaller.MaxConns >= MinUsefulConns {
			t.Errorf("edge's limit %s is not the smallest that holds %d connections: %s holds %d",
				wholeMi(m.Limit), MinUsefulConns, wholeMi(m.Limit-1<<20), smaller.MaxConns)
		}
	}
}

func TestGoMaxProcs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		gomaxprocs, cpuLimit string // empty: not set
		want                 int
		err                  string
	}{
		{gomaxprocs: "3", want: 3},
		{gomaxprocs: "1", cpuLimit: "4", want: 1}, // the variable wins, as in the runtime
		{cpuLimit: "500m", want: 2},               // the runtime's minimum
		{cpuLimit: "3500m", want: 4},              // rounded up
		{gomaxprocs: "0", err: `GOMAXPROCS "0"`},
		{gomaxprocs: "-2", err: `GOMAXPROCS "-2"`},
		{err: "neither GOMAXPROCS nor a CPU limit"},
	} {
		c := &corev1.Container{Name: "getsmall", Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{}}}
		set := map[string]string{}
		if tc.gomaxprocs != "" {
			set["GOMAXPROCS"] = tc.gomaxprocs
		}
		if tc.cpuLimit != "" {
			c.Resources.Limits[corev1.ResourceCPU] = resource.MustParse(tc.cpuLimit)
		}
		got, err := goMaxProcs(c, set)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("GOMAXPROCS %q, CPU limit %q: error %v, want one containing %q", tc.gomaxprocs, tc.cpuLimit, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("GOMAXPROCS %q, CPU limit %q: %d, %v; want %d", tc.gomaxprocs, tc.cpuLimit, got, err, tc.want)
		}
	}
}

// TestCheckMemoryByImage runs prod's container as if it held the UPX image: 16Mi is not
// enough there (the UPX server starts at 9 MiB and keeps room for a probe that unpacks
// the program again), and the check says what is.
func TestCheckMemoryByImage(t *testing.T) {
	t.Parallel()
	c, err := render(t, "prod").Container(ContainerName)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckMemory(c, false); err != nil {
		t.Errorf("plain image: %v", err)
	}
	err = CheckMemory(c, true)
	for _, want := range []string{"in the UPX image", "holds 0 connections", "24Mi would hold them"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("UPX image in 16Mi: error %v, want one containing %q", err, want)
		}
	}
}
