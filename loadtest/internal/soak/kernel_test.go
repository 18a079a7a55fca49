package soak

import (
	"strings"
	"testing"
)

func TestKernelCounters(t *testing.T) {
	t.Parallel()
	sockstat := "sockets: used 13\nTCP: inuse 2 orphan 0 tw 10 alloc 3 mem 63\nUDP: inuse 0 mem 7\n"
	if got := sockstatMem(sockstat); got != 63 {
		t.Errorf("sockstat TCP mem = %d, want 63 (not UDP's 7)", got)
	}
	if got := sockstatMem("sockets: used 1\n"); got != 0 {
		t.Errorf("no TCP line: %d, want 0", got)
	}
	slabinfo := "slabinfo - version: 2.1\n" +
		"# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n" +
		"request_sock_TCP     132    132    320   12    1 : tunables    0    0    0 : slabdata     11     11      0\n" +
		"TCP                   91    104   2368   13    8 : tunables    0    0    0 : slabdata      8      8      0\n" +
		"sock_inode_cache     209    304    832   19    4 : tunables    0    0    0 : slabdata     16     16      0\n"
	if got, want := slabBytes(slabinfo, "TCP", "sock_inode_cache"), int64(91*2368+209*832); got != want {
		t.Errorf("slab bytes = %d, want %d", got, want)
	}
	a, b := Kernel{SockstatMem: 10, Slab: 100}, Kernel{SockstatMem: 4, Slab: 30}
	if d := a.Sub(b); d != (Kernel{SockstatMem: 6, Slab: 70}) {
		t.Errorf("Sub = %+v", d)
	}
}

func TestIdleMarkdown(t *testing.T) {
	t.Parallel()
	c := IdleCost{Server: "getsmall", Conns: 10000,
		Start: Sample{Anon: 1 << 20, File: 5 << 20}, Held: Sample{Anon: 1<<20 + 130_000<<10, File: 5 << 20, Sockets: 0},
		Kernel: Kernel{SockstatMem: 0, Slab: 64_000_000}}
	if got := c.PerConn() / 1024; got != 13 {
		t.Errorf("KiB per connection = %v, want 13 (130,000 KiB over 10,000)", got)
	}
	md := IdleMarkdown([]IdleCost{c, {Server: "nothing held"}})
	for _, want := range []string{"| getsmall | 10000 | 6144 | 136144 | **13.0** | 0.00 | 6.25 | 0.00 |", "| nothing held | 0 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if IdleMarkdown(nil) != "" {
		t.Error("no servers gave a table")
	}
}
