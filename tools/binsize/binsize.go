// Package binsize says where the bytes of a Go binary go and why the linker kept them. It
// reads two things a build can produce: the ELF symbol table of an unstripped binary (what
// each package costs) and the linker's -dumpdep output (which symbol made the linker keep
// another one). It is a measuring tool for docs/floppy.md, never linked into getsmall.
package binsize

import (
	"bufio"
	"cmp"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// Package is the size of one Go package's symbols in the sections a binary's file holds.
// Zero-filled sections (.bss, .noptrbss) cost no file bytes and are not counted.
type Package struct {
	Path    string
	Text    uint64 // machine code
	Data    uint64 // read-only and initialised data: tables, strings, type descriptors
	Largest string // the package's largest symbol: its chain (Graph.Reason) explains most bytes
	largest uint64
}

// Total is Text plus Data.
func (p Package) Total() uint64 { return p.Text + p.Data }

// Section is one section that occupies bytes in the file.
type Section struct {
	Name string
	Size uint64
}

// Sizes is what Read finds in a binary.
type Sizes struct {
	// Sections are the file-backed sections in file order. .gopclntab (function names and
	// line tables) and .typelink are not split into symbols, so Packages does not cover them.
	Sections []Section
	// Packages are sorted by Total, largest first.
	Packages []Package
}

// Read attributes the symbols of an unstripped ELF binary to their packages. A stripped
// binary (-s) has no symbols to attribute and is an error.
func Read(f *elf.File) (Sizes, error) {
	var s Sizes
	for _, sec := range f.Sections {
		if sec.Type != elf.SHT_NOBITS && sec.Flags&elf.SHF_ALLOC != 0 && sec.Size > 0 {
			s.Sections = append(s.Sections, Section{sec.Name, sec.Size})
		}
	}
	syms, err := f.Symbols()
	if err != nil {
		if errors.Is(err, elf.ErrNoSymbols) {
			return s, errors.New("the binary has no symbol table: build it without -s")
		}
		return s, err
	}
	byPath := map[string]*Package{}
	for _, sym := range syms {
		if sym.Section == elf.SHN_UNDEF || int(sym.Section) >= len(f.Sections) || sym.Size == 0 {
			continue
		}
		sec := f.Sections[sym.Section]
		if sec.Type == elf.SHT_NOBITS || sec.Flags&elf.SHF_ALLOC == 0 {
			continue
		}
		path := PackageOf(sym.Name)
		p := byPath[path]
		if p == nil {
			p = &Package{Path: path}
			byPath[path] = p
		}
		if sym.Size > p.largest {
			p.Largest, p.largest = sym.Name, sym.Size
		}
		if sec.Flags&elf.SHF_EXECINSTR != 0 {
			p.Text += sym.Size
		} else {
			p.Data += sym.Size
		}
	}
	for _, p := range byPath {
		s.Packages = append(s.Packages, *p)
	}
	slices.SortFunc(s.Packages, func(a, b Package) int {
		return cmp.Or(cmp.Compare(b.Total(), a.Total()), strings.Compare(a.Path, b.Path))
	})
	return s, nil
}

// PackageOf returns the import path of the package a linker symbol belongs to:
// "net/http.(*Transport).RoundTrip" → "net/http", "go:itab.*os.File,io.Reader" → "os".
// Symbols the linker makes for the whole program (type descriptors, string data, closures'
// metadata) are grouped under their prefix ("type:", "go:string.", "go:func.").
func PackageOf(sym string) string {
	for _, shared := range []string{"type:", "go:string.", "go:func.", "go:main.", "runtime.text"} {
		if strings.HasPrefix(sym, shared) {
			return shared
		}
	}
	sym = strings.TrimPrefix(sym, "go:itab.")
	sym = strings.TrimLeft(sym, "*")
	// The type arguments of a generic ("slices.Sort[go.shape.[]net/netip.Addr]") and the
	// interface of an itab ("*os.File,io.Reader") name other packages.
	if i := strings.IndexAny(sym, "[,"); i >= 0 {
		sym = sym[:i]
	}
	slash := strings.LastIndexByte(sym, '/')
	dot := strings.IndexByte(sym[slash+1:], '.')
	if dot < 0 {
		return sym
	}
	return sym[:slash+1+dot]
}

// Graph is the linker's reachability tree as -ldflags=-dumpdep prints it: one line
// "parent -> child" the first time the linker marks each symbol reachable, so every
// symbol has exactly one recorded parent and following parents always ends at the root "_".
type Graph struct {
	parent map[string]string
	order  []string // symbols in the order the linker reached them
}

var flagsSuffix = regexp.MustCompile(` <[A-Za-z<>]+>$`) // " <UsedInIface>", " <ReflectMethod>"

// ParseDumpdep reads -dumpdep output; other lines (the go command's "# package" headers,
// compiler output) are skipped. ReflectMethod lists the symbols the linker flagged as
// calling reflect's Method or MethodByName, which keeps every exported method of every
// reachable type.
func ParseDumpdep(r io.Reader) (g *Graph, reflectMethod []string, err error) {
	g = &Graph{parent: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		from, to, ok := strings.Cut(sc.Text(), " -> ")
		if !ok {
			continue
		}
		for _, s := range []string{from, to} {
			if strings.Contains(s, "<ReflectMethod>") && !slices.Contains(reflectMethod, s) {
				reflectMethod = append(reflectMethod, flagsSuffix.ReplaceAllString(s, ""))
			}
		}
		from, to = flagsSuffix.ReplaceAllString(from, ""), flagsSuffix.ReplaceAllString(to, "")
		if _, seen := g.parent[to]; !seen {
			g.parent[to] = from
			g.order = append(g.order, to)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	if len(g.order) == 0 {
		return nil, nil, errors.New("no dependency lines: build with -ldflags=-dumpdep")
	}
	return g, reflectMethod, nil
}

// Len is the number of reachable symbols.
func (g *Graph) Len() int { return len(g.order) }

// Find returns the first reachable symbol that re matches, in the order the linker
// reached them, or "" when none does.
func (g *Graph) Find(re *regexp.Regexp) string {
	for _, s := range g.order {
		if re.MatchString(s) {
			return s
		}
	}
	return ""
}

// Chain returns sym, the symbol that kept it, the one that kept that, and so on up to the
// linker's roots (the entry point and the package initialisers). Nil when sym is not
// reachable.
func (g *Graph) Chain(sym string) []string {
	if _, ok := g.parent[sym]; !ok {
		return nil
	}
	var chain []string
	for s := sym; s != "" && s != "_" && len(chain) <= len(g.order); s = g.parent[s] {
		chain = append(chain, s)
	}
	return chain
}

// Reason condenses the chain of sym into the packages it passes through, from the root
// down to sym's package. It stops at the first package initialiser ("net/http init →
// vendor/golang.org/x/net/http/httpproxy → vendor/golang.org/x/net/idna") or at the first
// package of module, whose code called in the rest ("github.com/getsmall/getsmall/router →
// github.com/fasthttp/router → github.com/fasthttp/router/radix → regexp"). Initialisers
// are kept for every package the program imports, whether or not anything calls into it.
// Empty when sym is not reachable.
func (g *Graph) Reason(sym, module string) string {
	chain := g.Chain(sym)
	if chain == nil {
		// The symbol table names assembly functions with their ABI ("….abi0"), the
		// dependency dump without; anything else falls back to the package's first symbol.
		chain = g.Chain(strings.TrimSuffix(sym, ".abi0"))
	}
	if chain == nil {
		pkg := PackageOf(sym)
		for _, s := range g.order {
			if PackageOf(s) == pkg {
				chain = g.Chain(s)
				break
			}
		}
	}
	if chain == nil {
		return ""
	}
	hops := []string{PackageOf(sym)}
	for _, s := range chain {
		if strings.HasSuffix(s, "..inittask") {
			p := PackageOf(s)
			if p == hops[len(hops)-1] {
				hops = hops[:len(hops)-1]
			}
			hops = append(hops, p+" init")
			break
		}
		if !strings.Contains(s, ".") {
			break // an entry point such as _rt0_amd64_linux
		}
		p := PackageOf(s)
		if p == "type:" {
			p = typePackage(s)
		}
		if p == "" || strings.HasPrefix(p, "go:") {
			continue // an unnamed type or a generated symbol: the package using it follows
		}
		if p != hops[len(hops)-1] {
			hops = append(hops, p)
		}
		if p == "main" || p == module || strings.HasPrefix(p, module+"/") {
			break
		}
	}
	slices.Reverse(hops)
	return strings.Join(hops, " → ")
}

// typePackage returns the package of a named type's descriptor ("type:*crypto/tls.Conn" →
// "crypto/tls") and "" for any other type.
func typePackage(sym string) string {
	name := strings.TrimLeft(strings.TrimPrefix(sym, "type:"), "*[]")
	if name == "" || strings.ContainsAny(name, " ()[]{},;") || !strings.Contains(name, ".") {
		return ""
	}
	return PackageOf(name)
}

// ImportChain returns the shortest chain of imports from the package from to the package
// to ("github.com/getsmall/getsmall/server → github.com/valyala/fasthttp → crypto/tls"),
// given each package's imports as go list -deps reports them; empty when to is not
// imported.
func ImportChain(imports map[string][]string, from, to string) string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			var chain []string
			for ; p != ""; p = prev[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			return strings.Join(chain, " → ")
		}
		for _, q := range imports[p] {
			if _, seen := prev[q]; !seen {
				prev[q] = p
				queue = append(queue, q)
			}
		}
	}
	return ""
}

// Format writes the sections and the largest top packages. With a graph, each package gets
// the chain that kept its largest symbol; a package kept by an initialiser gets instead the
// chain of imports from mainPkg that brought the initialiser's package in (imports as
// ImportChain takes them).
func Format(w io.Writer, s Sizes, g *Graph, imports map[string][]string, mainPkg, module string, top int) error {
	var b strings.Builder
	var file uint64
	for _, sec := range s.Sections {
		file += sec.Size
	}
	fmt.Fprintf(&b, "%-14s %10s\n", "section", "bytes")
	for _, sec := range s.Sections {
		fmt.Fprintf(&b, "%-14s %10d\n", sec.Name, sec.Size)
	}
	fmt.Fprintf(&b, "%-14s %10d\n\n", "total", file)
	fmt.Fprintf(&b, "%8s %8s %8s  %s\n", "bytes", "text", "data", "package (one chain that kept it, from the root)")
	for i, p := range s.Packages {
		if i == top {
			break
		}
		why := ""
		if g != nil {
			r := g.Reason(p.Largest, module)
			if strings.HasSuffix(r, " init") || strings.Contains(r, " init → ") {
				initPkg, _, _ := strings.Cut(r, " init")
				if c := ImportChain(imports, mainPkg, initPkg); c != "" {
					r = c + " init" + strings.TrimPrefix(r, initPkg+" init")
				}
			}
			if r != "" && r != p.Path { // a package reached from the entry point alone: the runtime
				why = "  " + r
			}
		}
		fmt.Fprintf(&b, "%8d %8d %8d  %s%s\n", p.Total(), p.Text, p.Data, p.Path, why)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
