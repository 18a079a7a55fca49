package budget

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "budgets.txt")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadAndCheck(t *testing.T) {
	t.Parallel()
	p := write(t, "# promises\n\nbinary-linux-amd64-bytes  6_500_000  # make test-platforms\nallocs-per-request 0\n")
	set, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := set.Get("binary-linux-amd64-bytes")
	if err != nil {
		t.Fatal(err)
	}
	if b.Max != 6_500_000 || b.Unit != "bytes" || b.Line != 3 || b.About != "make test-platforms" {
		t.Errorf("budget = %+v", b)
	}
	if err := b.Check(6_500_000); err != nil {
		t.Errorf("at the budget: %v, want nil", err)
	}
	err = b.Check(6_512_345)
	want := "binary-linux-amd64-bytes: measured 6,512,345 bytes, over its budget of 6,500,000 by 12,345 (0.2%): " +
		"if this growth is on purpose, raise the budget on " + p + ":3"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("over the budget: %v\nwant it to start %q", err, want)
	}
	if a, _ := set.Get("allocs-per-request"); a.Check(1) == nil {
		t.Error("1 allocation passed a budget of 0")
	}
	if _, err := set.Get("idle-rss-bytes"); err == nil || !strings.Contains(err.Error(), "add a line") {
		t.Errorf("missing budget: %v, want a hint to add it", err)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ content, want string }{
		"no value":     {"allocs-per-request\n", ":1: want NAME MAX"},
		"two words":    {"a-bytes 1 2\n", ":1: want NAME MAX"},
		"not a number": {"a-bytes lots\n", `:1: a-bytes: "lots" is not a count`},
		"negative":     {"a-bytes -1\n", "is not a count"},
		"twice":        {"a-bytes 1\na-bytes 2\n", ":2: a-bytes is already on line 1"},
	} {
		if _, err := Load(write(t, tc.content)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, tc.want)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("a missing file loaded")
	}
}
