package binsize

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestPackageOf(t *testing.T) {
	t.Parallel()
	for sym, want := range map[string]string{
		"net/http.(*Transport).RoundTrip":                         "net/http",
		"runtime.mallocgc":                                        "runtime",
		"vendor/golang.org/x/net/idna.idnaValues":                 "vendor/golang.org/x/net/idna",
		"github.com/valyala/fasthttp.(*Server).Serve":             "github.com/valyala/fasthttp",
		"go:itab.*os.File,io.Reader":                              "os",
		"go:itab.*crypto/tls.Conn,net.Conn":                       "crypto/tls",
		"slices.SortStableFunc[go.shape.[]internal/fmtsort.KV]":   "slices",
		"crypto/internal/fips140/ecdh..dict.New[*crypto/x.Point]": "crypto/internal/fips140/ecdh",
		"main.main":             "main",
		"type:*crypto/tls.Conn": "type:",
		"go:string.*":           "go:string.",
		"_rt0_amd64_linux":      "_rt0_amd64_linux",
	} {
		if got := PackageOf(sym); got != want {
			t.Errorf("PackageOf(%q) = %q, want %q", sym, got, want)
		}
	}
}

// dump is -dumpdep output in the linker's format: two roots, a chain through a type
// descriptor, a package kept by its initialiser, a flagged symbol and a repeated child.
const dump = `# example.com/m/cmd/x
_ -> _rt0_amd64_linux
_ -> go:main.inittasks
_rt0_amd64_linux -> runtime.main
runtime.main -> main.main
main.main -> example.com/m/server.Run
example.com/m/server.Run -> type:example.com/dep.Server
type:example.com/dep.Server -> type:*crypto/tls.Config
type:*crypto/tls.Config -> crypto/tls.(*Config).Clone <UsedInIface>
go:main.inittasks -> net/http..inittask
net/http..inittask -> net/http.init
net/http.init -> vendor/golang.org/x/net/idna.Lookup
vendor/golang.org/x/net/idna.Lookup -> vendor/golang.org/x/net/idna.idnaValues
main.main -> reflect.Value.MethodByName <ReflectMethod>
runtime.main -> net/http.init
`

func TestParseDumpdepAndChain(t *testing.T) {
	t.Parallel()
	g, reflectMethod, err := ParseDumpdep(strings.NewReader(dump))
	if err != nil {
		t.Fatal(err)
	}
	if g.Len() != 13 {
		t.Errorf("Len = %d, want 13 (the repeated child counts once)", g.Len())
	}
	if want := []string{"reflect.Value.MethodByName"}; !slices.Equal(reflectMethod, want) {
		t.Errorf("reflectMethod = %q, want %q", reflectMethod, want)
	}
	got := g.Chain("crypto/tls.(*Config).Clone")
	want := []string{"crypto/tls.(*Config).Clone", "type:*crypto/tls.Config", "type:example.com/dep.Server",
		"example.com/m/server.Run", "main.main", "runtime.main", "_rt0_amd64_linux"}
	if !slices.Equal(got, want) {
		t.Errorf("Chain = %q\nwant    %q", got, want)
	}
	if c := g.Chain("net/http.init"); len(c) != 3 || c[1] != "net/http..inittask" {
		t.Errorf("Chain(net/http.init) = %q: the first parent recorded must win", c)
	}
	if c := g.Chain("unreachable.F"); c != nil {
		t.Errorf("Chain of an unreachable symbol = %q, want nil", c)
	}
	if s := g.Find(regexp.MustCompile(`idna\.`)); s != "vendor/golang.org/x/net/idna.Lookup" {
		t.Errorf("Find = %q, want the first idna symbol reached", s)
	}
}

func TestReason(t *testing.T) {
	t.Parallel()
	g, _, err := ParseDumpdep(strings.NewReader(dump))
	if err != nil {
		t.Fatal(err)
	}
	for sym, want := range map[string]string{
		"crypto/tls.(*Config).Clone":              "example.com/m/server → example.com/dep → crypto/tls",
		"vendor/golang.org/x/net/idna.idnaValues": "net/http init → vendor/golang.org/x/net/idna",
		"net/http.init":                           "net/http init",
		"runtime.main":                            "runtime",
		"nowhere.F":                               "",
	} {
		if got := g.Reason(sym, "example.com/m"); got != want {
			t.Errorf("Reason(%q) = %q, want %q", sym, got, want)
		}
	}
}

func TestParseDumpdepRejectsOtherOutput(t *testing.T) {
	t.Parallel()
	if _, _, err := ParseDumpdep(strings.NewReader("# example.com/m\nok\n")); err == nil {
		t.Error("ParseDumpdep accepted output without a dependency line")
	}
}

func TestImportChain(t *testing.T) {
	t.Parallel()
	imports := map[string][]string{
		"m/cmd":    {"m/server", "fmt"},
		"m/server": {"dep", "fmt"},
		"dep":      {"crypto/tls", "net/http"},
		"net/http": {"crypto/tls"},
	}
	if got, want := ImportChain(imports, "m/cmd", "crypto/tls"), "m/cmd → m/server → dep → crypto/tls"; got != want {
		t.Errorf("ImportChain = %q, want %q", got, want)
	}
	if got := ImportChain(imports, "m/cmd", "regexp"); got != "" {
		t.Errorf("ImportChain to a package not imported = %q, want empty", got)
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	g, _, err := ParseDumpdep(strings.NewReader(dump))
	if err != nil {
		t.Fatal(err)
	}
	sizes := Sizes{
		Sections: []Section{{".text", 300}, {".rodata", 100}},
		Packages: []Package{
			{Path: "runtime", Text: 200, Largest: "runtime.main"},
			{Path: "vendor/golang.org/x/net/idna", Data: 100, Largest: "vendor/golang.org/x/net/idna.idnaValues"},
			{Path: "crypto/tls", Text: 50, Largest: "crypto/tls.(*Config).Clone"},
			{Path: "fmt", Text: 10, Largest: "fmt.Println"},
		},
	}
	imports := map[string][]string{"example.com/m/cmd/x": {"example.com/dep"}, "example.com/dep": {"net/http"}}
	var b strings.Builder
	if err := Format(&b, sizes, g, imports, "example.com/m/cmd/x", "example.com/m", 3); err != nil {
		t.Fatal(err)
	}
	want := `section             bytes
.text                 300
.rodata               100
total                 400

   bytes     text     data  package (one chain that kept it, from the root)
     200      200        0  runtime
     100        0      100  vendor/golang.org/x/net/idna  example.com/m/cmd/x → example.com/dep → net/http init → vendor/golang.org/x/net/idna
      50       50        0  crypto/tls  example.com/m/server → example.com/dep → crypto/tls
`
	if b.String() != want {
		t.Errorf("Format wrote\n%s\nwant\n%s", b.String(), want)
	}
}

// TestRead builds a small linux program (any host can cross-compile it) and checks that its
// own table is attributed to package main and that a stripped build is refused.
func TestRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	plain, stripped := filepath.Join(dir, "tiny"), filepath.Join(dir, "tiny-s")
	for bin, ldflags := range map[string]string{plain: "", stripped: "-s"} {
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags="+ldflags, "-o", bin, "./testdata/tiny")
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}

	f, err := elf.Open(plain)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Read(f)
	if err != nil {
		t.Fatal(err)
	}
	var total uint64
	names := map[string]bool{}
	for _, sec := range s.Sections {
		total += sec.Size
		names[sec.Name] = true
	}
	for _, want := range []string{".text", ".rodata", ".gopclntab", ".noptrdata"} {
		if !names[want] {
			t.Errorf("sections %v: %s missing", s.Sections, want)
		}
	}
	if names[".bss"] || names[".noptrbss"] {
		t.Errorf("sections %v include zero-filled ones", s.Sections)
	}
	var sum uint64
	pkgs := map[string]Package{}
	for i, p := range s.Packages {
		sum += p.Total()
		pkgs[p.Path] = p
		if i > 0 && p.Total() > s.Packages[i-1].Total() {
			t.Errorf("packages not sorted: %s (%d) after %s (%d)", p.Path, p.Total(), s.Packages[i-1].Path, s.Packages[i-1].Total())
		}
	}
	if sum == 0 || sum > total {
		t.Errorf("packages sum to %d bytes, sections to %d", sum, total)
	}
	m := pkgs["main"]
	if m.Data < 4096 || m.Text == 0 || m.Largest != "main.table" {
		t.Errorf("package main = %+v, want its 4096-byte table as data and largest symbol", m)
	}
	if rt := pkgs["runtime"]; rt.Text < 100_000 {
		t.Errorf("runtime = %+v, want its code counted", rt)
	}

	fs, err := elf.Open(stripped)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if _, err := Read(fs); err == nil || !strings.Contains(err.Error(), "without -s") {
		t.Errorf("Read of a stripped binary: err = %v, want one that says to build without -s", err)
	}
}
