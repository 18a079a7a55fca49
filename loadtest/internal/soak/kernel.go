package soak

import (
	"os"
	"strconv"
	"strings"
)

// Kernel is the machine's kernel memory for TCP sockets at one moment, in bytes: what no
// process's resident memory shows. Both ends of a loopback connection count, and so does
// every other socket of the machine, so only a difference over the same run means anything.
type Kernel struct {
	// SockstatMem is /proc/net/sockstat's TCP "mem": pages of socket buffers (queued data and
	// memory reserved ahead for it), what net.ipv4.tcp_mem limits.
	SockstatMem int64 `json:"sockstat_mem"`
	// Slab is the objects every TCP socket needs whatever it holds: the socket itself (the
	// "TCP" cache) and its inode ("sock_inode_cache"), from /proc/slabinfo.
	Slab int64 `json:"slab"`
}

// ReadKernel reads both counters; a counter it cannot read stays 0.
func ReadKernel() Kernel {
	var k Kernel
	if b, err := os.ReadFile("/proc/net/sockstat"); err == nil {
		k.SockstatMem = sockstatMem(string(b)) * int64(os.Getpagesize())
	}
	if b, err := os.ReadFile("/proc/slabinfo"); err == nil { // root only
		k.Slab = slabBytes(string(b), "TCP", "sock_inode_cache")
	}
	return k
}

// Sub is k minus an earlier reading.
func (k Kernel) Sub(before Kernel) Kernel {
	return Kernel{SockstatMem: k.SockstatMem - before.SockstatMem, Slab: k.Slab - before.Slab}
}

// sockstatMem is the "mem" of the TCP line of /proc/net/sockstat, in pages.
func sockstatMem(s string) int64 {
	for line := range strings.SplitSeq(s, "\n") {
		rest, ok := strings.CutPrefix(line, "TCP:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		for i := 0; i+1 < len(f); i += 2 {
			if f[i] == "mem" {
				n, _ := strconv.ParseInt(f[i+1], 10, 64)
				return n
			}
		}
	}
	return 0
}

// slabBytes adds up active objects times object size of the named caches of /proc/slabinfo
// ("name active_objs num_objs objsize ...").
func slabBytes(s string, caches ...string) int64 {
	var total int64
	for line := range strings.SplitSeq(s, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		for _, c := range caches {
			if f[0] == c {
				active, _ := strconv.ParseInt(f[1], 10, 64)
				size, _ := strconv.ParseInt(f[3], 10, 64)
				total += active * size
			}
		}
	}
	return total
}
