package mountinfo

import "testing"

func TestParse(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		line string
		want Mount
		ok   bool
	}{
		"cgroup v1 memory": {
			line: "80 76 0:32 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory",
			want: Mount{Root: "/docker/abc", Point: "/sys/fs/cgroup/memory", FSType: "cgroup", SuperOptions: "rw,memory"}, ok: true,
		},
		"optional fields": {
			line: "30 25 0:26 / /sys/fs/cgroup rw,nosuid shared:4 master:1 - cgroup2 cgroup2 rw,nsdelegate",
			want: Mount{Root: "/", Point: "/sys/fs/cgroup", FSType: "cgroup2", SuperOptions: "rw,nsdelegate"}, ok: true,
		},
		"escaped space, tab, newline, backslash": {
			line: `1 2 0:1 /a\040b /m\011n\012o\134p rw - ext4 /dev/x rw`,
			want: Mount{Root: "/a b", Point: "/m\tn\no\\p", FSType: "ext4", SuperOptions: "rw"}, ok: true,
		},
		"a backslash that is no escape": {
			line: `1 2 0:1 / /x\9 rw - ext4 /dev/x rw`,
			want: Mount{Root: "/", Point: `/x\9`, FSType: "ext4", SuperOptions: "rw"}, ok: true,
		},
		"no separator":        {line: "22 1 254:0 / / rw,relatime shared:1 ext4 /dev/vda rw"},
		"too few fields":      {line: "22 1 254:0 / - ext4 /dev/vda rw"},
		"too few after the -": {line: "22 1 254:0 / / rw - ext4"},
		"empty":               {line: ""},
	}
	for name, tc := range tests {
		got, ok := Parse(tc.line)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s: Parse = %+v, %v; want %+v, %v", name, got, ok, tc.want, tc.ok)
		}
	}
}
