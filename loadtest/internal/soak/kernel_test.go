package soak

import "testing"

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
