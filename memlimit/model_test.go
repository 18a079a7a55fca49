package memlimit

import "testing"

const mib = 1 << 20

// plain16 is the plain image in Docker's --memory 16m on a cgroup v1 host with 2 CPUs.
var plain16 = System{Limit: 16 * mib, InUse: 2011136, Anon: 1310720, Procs: 2}

func TestDerive(t *testing.T) {
	t.Parallel()
	b := plain16.Derive(4096, 4096)
	wantRoom := int64(16*mib - 2011136 - (1310720 + ProbeExtraBytes) - HeadroomBytes - 2*ThreadBytes)
	if b.Room != wantRoom || b.ConnBytes != ConnFixedBytes+5*4096 {
		t.Fatalf("Room %d, ConnBytes %d; want %d, %d", b.Room, b.ConnBytes, wantRoom, ConnFixedBytes+5*4096)
	}
	// Half the room goes to connections in a request, the rest to the ones between
	// requests; the open cap is the most connections that fit, and no more.
	if want := int(wantRoom / 2 / b.ConnBytes); b.MaxBusy != want || b.ParkedBytes != ConnParkedBytes {
		t.Errorf("MaxBusy %d, ParkedBytes %d; want %d, %d", b.MaxBusy, b.ParkedBytes, want, ConnParkedBytes)
	}
	if !b.Fits(b.MaxConns) || b.Fits(b.MaxConns+1) || b.Fit() != b.MaxConns {
		t.Errorf("MaxConns %d: Fits(cap) %v, Fits(cap+1) %v, Fit %d", b.MaxConns, b.Fits(b.MaxConns), b.Fits(b.MaxConns+1), b.Fit())
	}
	// Every open connection in a request at once would not fit: that is what MaxBusy is for.
	if old := int(wantRoom / b.ConnBytes); 2*b.MaxConns < 3*old || b.MaxBusy*2 > old+1 {
		t.Errorf("MaxConns %d, MaxBusy %d: want the open cap at least 1.5 times the %d costliest connections that fit, and half of them in a request", b.MaxConns, b.MaxBusy, old)
	}
	// The soft limit is Go's count at start plus the room, less the kernel's part and the
	// collector's lag.
	if want := GoStartBytes + b.Room - int64(b.MaxConns)*ConnKernelBytes - GCLagBytes; b.SoftLimit != want {
		t.Errorf("SoftLimit %d, want %d", b.SoftLimit, want)
	}
}

// variants returns plain16 under cgroup v2, and the UPX image in its place.
func variants() (v2, upx System) {
	v2, upx = plain16, plain16
	v2.V2 = true
	upx.InUse, upx.Anon = BaselineUPXBytes, AnonUPXBytes
	return v2, upx
}

func TestDeriveCases(t *testing.T) {
	t.Parallel()
	v2, upx := variants()
	big := plain16
	big.Limit = 1 << 40
	tiny := plain16
	tiny.Limit = 4 * mib
	none := plain16
	none.Limit = 0
	cap16 := plain16.Derive(4096, 4096).MaxConns
	busy16 := plain16.Derive(4096, 4096).MaxBusy

	tests := map[string]struct {
		got   Budget
		check func(Budget) bool
		want  string
	}{
		"no limit": {none.Derive(4096, 4096), func(b Budget) bool {
			return b.MaxConns == NoLimitConns && b.MaxBusy == NoLimitConns && b.SoftLimit == 0
		}, "NoLimitConns, all of them busy, and no soft limit"},
		"cgroup v2 charges sockets": {v2.Derive(4096, 4096), func(b Budget) bool {
			return b.MaxConns < cap16 && b.MaxBusy < busy16 && b.ConnBytes == ConnFixedBytes+5*4096+ConnSocketBytesV2 &&
				b.ParkedBytes == ConnParkedBytes+ConnSocketBytesV2
		}, "fewer connections than v1, each dearer by its socket buffers"},
		"UPX starts higher":   {upx.Derive(4096, 4096), func(b Budget) bool { return b.MaxConns < cap16 }, "fewer connections than plain"},
		"larger read buffers": {plain16.Derive(65536, 4096), func(b Budget) bool { return b.MaxBusy < busy16/4 && b.MaxConns < cap16 }, "a quarter of the busy connections or fewer"},
		"a limit below the server": {tiny.Derive(4096, 4096), func(b Budget) bool {
			return b.MaxConns == MinConns && b.MaxBusy == MinConns && b.Fit() == 0 && b.Room < 0 && !b.Fits(1) && b.SoftLimit == GoStartBytes+MinGoRoomBytes &&
				b.LimitFor(tiny.Limit, MinConns) == tiny.Limit-b.Room+MinConns*b.ConnBytes
		}, "MinConns, negative room, soft limit at Go's start plus MinGoRoomBytes"},
		"a terabyte": {big.Derive(4096, 4096), func(b Budget) bool { return b.MaxConns == MaxConns && b.MaxBusy == MaxConns }, "the MaxConns bound"},
	}
	for name, tc := range tests {
		if !tc.check(tc.got) {
			t.Errorf("%s: %+v, want %s", name, tc.got, tc.want)
		}
	}
}

// TestForImage checks what the Kubernetes manifests rely on: caps grow with the limit,
// the UPX image fits fewer connections, and 16 MiB fits at least one connection in each.
func TestForImage(t *testing.T) {
	t.Parallel()
	prev := map[bool]int{}
	for _, limit := range []int64{16 * mib, 32 * mib, 64 * mib, 128 * mib} {
		for _, upx := range []bool{false, true} {
			b := ForImage(limit, upx, 2)
			if b.MaxConns < prev[upx] || b.SoftLimit <= GoStartBytes {
				t.Errorf("ForImage(%d MiB, upx %v) = %+v: cap below the smaller limit's %d, or no soft limit", limit/mib, upx, b, prev[upx])
			}
			prev[upx] = b.MaxConns
		}
		if p, u := ForImage(limit, false, 2), ForImage(limit, true, 2); u.MaxConns >= p.MaxConns {
			t.Errorf("%d MiB: UPX cap %d not below plain %d", limit/mib, u.MaxConns, p.MaxConns)
		}
	}
}

// TestLimitFor checks that the limit LimitFor gives holds the connections, places and
// all, and a byte less does not.
func TestLimitFor(t *testing.T) {
	t.Parallel()
	v2, upx := variants()
	one := plain16
	one.OneCap = true
	for name, s := range map[string]System{"plain": plain16, "v2": v2, "upx": upx, "one cap": one} {
		for _, conns := range []int{1, MinConns, 64, 100, 500, 2000} {
			at := s
			at.Limit = s.Derive(4096, 4096).LimitFor(s.Limit, conns)
			if !at.Derive(4096, 4096).Fits(conns) {
				t.Errorf("%s: %d connections do not fit the %d bytes LimitFor gives", name, conns, at.Limit)
			}
			at.Limit--
			if at.Derive(4096, 4096).Fits(conns) {
				t.Errorf("%s: %d connections fit a byte under the %d LimitFor gives", name, conns, at.Limit+1)
			}
		}
	}
}

// TestOneCap checks the floppy build's derivation: every connection priced as the
// costliest, and all of them may be in a request.
func TestOneCap(t *testing.T) {
	t.Parallel()
	s := plain16
	s.OneCap = true
	b := s.Derive(4096, 4096)
	if want := int(b.Room / b.ConnBytes); b.MaxConns != want || b.MaxBusy != want || b.Fit() != want || b.ParkedBytes != b.ConnBytes {
		t.Errorf("one cap: MaxConns %d, MaxBusy %d, Fit %d, ParkedBytes %d; want %d, %d, %d, %d",
			b.MaxConns, b.MaxBusy, b.Fit(), b.ParkedBytes, want, want, want, b.ConnBytes)
	}
	if two := plain16.Derive(4096, 4096); two.MaxConns <= b.MaxConns {
		t.Errorf("two caps hold %d connections, one cap %d: want more with places", two.MaxConns, b.MaxConns)
	}
}
