package memlimit

// The model's constants, measured with `make memcost` (loadtest/cmd/soak memcost) on
// linux/amd64, Go 1.26.8, fasthttp v1.78.0, in containers limited by cgroup v1;
// docs/memory.md has the numbers behind them. Each is rounded up.
const (
	// ConnFixedBytes is what a connection costs besides what it has sent: the goroutine
	// serving it with its stack, fasthttp's request context and 512-byte write buffer, and
	// the kernel's socket, file and epoll entries.
	ConnFixedBytes = 12 << 10
	// ConnKernelBytes is the kernel's part of ConnFixedBytes, which the Go runtime does not
	// count.
	ConnKernelBytes = 2 << 10
	// ConnSocketBytesV2 is what a connection's kernel socket buffers can hold with the
	// server's SO_RCVBUF and SO_SNDBUF (a client that sends without reading fills both):
	// cgroup v2 charges it to the container, v1 does not.
	ConnSocketBytesV2 = 48 << 10
	// ConnParkedBytes is what a connection costs between requests: parked (the server's
	// park.go) or waiting for a place among the connections in a request. Its goroutine with
	// the 2 KiB minimum stack, the connection wrapper, Go's socket and poller structures: 4.6
	// KiB over 10,000 idle connections; and the kernel's socket objects, 3.1 KiB.
	ConnParkedBytes = 16 << 10
	// ProbeExtraBytes is what one `getsmall healthcheck` exec (the images' HEALTHCHECK)
	// takes beyond the server's own anonymous memory at start: a probe is the same binary,
	// so a UPX probe unpacks the whole program again.
	ProbeExtraBytes = 1 << 20
	// HeadroomBytes stays free for what grows without connections: the Go runtime's
	// metadata and pools, and the kernel's page tables.
	HeadroomBytes = 512 << 10
	// ThreadBytes is kept free per GOMAXPROCS: an OS thread's kernel stack and task, and
	// the Go stacks of its M.
	ThreadBytes = 64 << 10

	// GCLagBytes is kept below the soft limit for what the heap grows while a collection
	// runs: the server allocates on during a cycle, and near the soft limit the collector
	// takes at most half the CPU. Measured under the memory attack in 16 MiB, with all the
	// CPU and with a fifth of it: peaks came within 0.09 to 0.33 MiB of the limit without
	// it, and stayed 0.98 MiB or more below with it (docs/memory.md).
	GCLagBytes = 1 << 20

	// MinGoRoomBytes is the least the soft limit leaves above GoStartBytes. A limit at or
	// below what Go already holds keeps the collector running without pause and costs more
	// than it saves: 750 KB more resident, measured in the UPX image at 16 MiB.
	MinGoRoomBytes = 1 << 20

	// MinConns is the least the server derives: a cap of one would have a HEALTHCHECK
	// probe and any client take turns. A limit that fits fewer gets a warning instead.
	MinConns = 16

	// NoLimitConns is the connection cap without a memory limit to derive one from.
	NoLimitConns = 1024
	// MaxConns bounds a derived cap (and -max-conns): beyond a million connections file
	// descriptors, not memory, run out first.
	MaxConns = 1 << 20

	// What a server charges its container just after start (anonymous and kernel memory,
	// page cache excluded), and its own anonymous memory then, for ForImage.
	BaselinePlainBytes = 2 << 20
	BaselineUPXBytes   = 9 << 20
	AnonPlainBytes     = 1<<20 + 512<<10
	AnonUPXBytes       = 8 << 20
	// GoStartBytes is the Go runtime's own count of its memory when the limits are derived
	// (runtime/metrics' total minus released, 4.5 to 4.9 MB measured), which GOMEMLIMIT is
	// compared with: it includes memory mapped but never touched, so it exceeds the resident
	// size. It is a constant because reading it costs either 25 KB of binary
	// (runtime/metrics) or 350 KB of resident memory (runtime.ReadMemStats); rounded down,
	// because a lower soft limit only makes the collector start earlier.
	GoStartBytes = 4<<20 + 512<<10
)

// ConnBytes is the most one connection in a request can cost the container with these
// read limits. The costliest sends a header of almost maxHeaderBytes and then most of a
// body: the server holds its read buffer, the parsed header (whose buffers grow by
// doubling) and the body read so far. Measured, that is about 3.2 times the header limit
// plus 0.9 times the body limit plus 10 KiB; the model rounds up to 4 and 1.
func ConnBytes(maxHeaderBytes, maxBodyBytes int, v2 bool) int64 {
	n := int64(ConnFixedBytes) + 4*int64(maxHeaderBytes) + int64(maxBodyBytes)
	if v2 {
		n += ConnSocketBytesV2
	}
	return n
}

// ParkedBytes is what a connection between requests can cost the container: on cgroup v2
// its socket buffers too, which a client can fill while the server waits.
func ParkedBytes(v2 bool) int64 {
	if v2 {
		return ConnParkedBytes + ConnSocketBytesV2
	}
	return ConnParkedBytes
}

// System is what the derivation reads when the server starts.
type System struct {
	Limit int64 // the cgroup's memory limit in bytes; 0 for none
	InUse int64 // what the cgroup is charged at start, page cache excluded
	Anon  int64 // this process's anonymous resident memory at start
	V2    bool  // cgroup v2, which charges socket buffers
	Procs int   // GOMAXPROCS
	// OneCap is for a server without places in a request (the floppy build): any of its
	// connections may be in one, so each is priced as the costliest and MaxBusy is MaxConns.
	OneCap bool
}

// Budget is what a memory limit allows the server. Two caps keep it: connections in a
// request, which may each cost ConnBytes, and open connections, the rest of which wait
// between requests at ParkedBytes. The room is shared half and half: half for the
// connections in a request, the other half for the ones between requests.
type Budget struct {
	// MaxConns is how many connections may be open, at least MinConns; NoLimitConns without
	// a limit.
	MaxConns int
	// MaxBusy is how many of them may be in a request at once, each of the costliest kind:
	// at least MinConns and at most MaxConns. Without a limit it is MaxConns.
	MaxBusy int
	// SoftLimit is the Go soft memory limit (GOMEMLIMIT) in bytes, 0 without a limit: the
	// Go runtime's count at start (GoStartBytes) plus what the container has left for Go,
	// so the garbage collector works harder before the container's limit is reached.
	SoftLimit int64
	// Room is what the limit leaves for connections after the server at start, one
	// healthcheck probe, the headroom and its threads; negative when even those do not fit.
	Room int64
	// ConnBytes is the cost of one connection in a request, ParkedBytes of one between.
	ConnBytes   int64
	ParkedBytes int64
}

// Derive computes the budget for the server's read limits.
func (s System) Derive(maxHeaderBytes, maxBodyBytes int) Budget {
	b := Budget{MaxConns: NoLimitConns, MaxBusy: NoLimitConns,
		ConnBytes: ConnBytes(maxHeaderBytes, maxBodyBytes, s.V2), ParkedBytes: ParkedBytes(s.V2)}
	if s.OneCap {
		b.ParkedBytes = b.ConnBytes // then every formula below gives room / ConnBytes
	}
	if s.Limit <= 0 {
		return b
	}
	b.Room = s.Limit - s.InUse - (s.Anon + ProbeExtraBytes) - HeadroomBytes - int64(max(s.Procs, 1))*ThreadBytes
	b.MaxBusy = int(min(b.placesIn(b.Room), MaxConns))
	b.MaxConns = int(min(max(b.fitIn(b.Room), int64(b.MaxBusy)), MaxConns))
	if s.OneCap {
		b.MaxBusy = b.MaxConns
	}
	// The kernel's part of the connections is not Go's to collect.
	kernel := int64(ConnKernelBytes)
	if s.V2 {
		kernel += ConnSocketBytesV2
	}
	b.SoftLimit = GoStartBytes + max(b.Room-int64(b.MaxConns)*kernel-GCLagBytes, MinGoRoomBytes)
	return b
}

// Fit is the most open connections the room holds, 0 when it is negative: unlike
// MaxConns, never raised to MinConns.
func (b Budget) Fit() int { return int(b.fitIn(b.Room)) }

// placesIn is how many places in a request a room pays for: half of it, at least MinConns.
func (b Budget) placesIn(room int64) int64 { return max(room/2/b.ConnBytes, MinConns) }

// fitIn is how many connections a room holds with this budget's prices, its places
// derived from that room as Derive derives them.
func (b Budget) fitIn(room int64) int64 {
	busy := b.placesIn(room)
	if room < busy*b.ConnBytes {
		return max(room/b.ConnBytes, 0)
	}
	return busy + (room-busy*b.ConnBytes)/b.ParkedBytes
}

// Fits reports whether conns open connections fit the budget's room.
func (b Budget) Fits(conns int) bool {
	return b.Fit() >= conns
}

// LimitFor returns the memory limit at which conns connections would fit, the system
// otherwise unchanged: the smallest room that holds them, places and all.
func (b Budget) LimitFor(limit int64, conns int) int64 {
	lo, hi := int64(0), int64(conns)*b.ConnBytes // every one in a request: enough
	for lo < hi {
		if mid := (lo + hi) / 2; b.fitIn(mid) >= int64(conns) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return limit - b.Room + lo
}

// ForImage is Derive for one of the project's images under a container memory limit,
// from the constants measured at start instead of the running process: what the server
// in the plain (upx false) or UPX image will derive, at the default read limits (4096
// bytes each), with procs as GOMAXPROCS and on cgroup v2, as current Kubernetes nodes
// run it (v1 allows more connections).
func ForImage(limit int64, upx bool, procs int) Budget {
	s := System{Limit: limit, InUse: BaselinePlainBytes, Anon: AnonPlainBytes, V2: true, Procs: procs}
	if upx {
		s.InUse, s.Anon = BaselineUPXBytes, AnonUPXBytes
	}
	return s.Derive(4096, 4096)
}
