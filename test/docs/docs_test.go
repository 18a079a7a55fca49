package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getsmall/getsmall/internal/testmake"
)

const (
	root          = "../.."
	readme        = "README.md"
	readmeMaxRows = 250
)

// skipDirs are not walked for Markdown: build outputs, load-test results, VCS data.
// Every directory named testdata is skipped too.
var skipDirs = []string{".git", "bin", "dist", "loadtest/results"}

// makeTargetSet asks make for its database: make -pRrq prints it without running a recipe;
// the target ":" does not exist, so make exits non-zero, which is expected.
func makeTargetSet(t *testing.T) targetSet {
	t.Helper()
	out, _ := testmake.Command(root, "-pRrq", "-f", "Makefile", ":").Output()
	ts := parseDatabase(string(out))
	if !ts.names["help"] || !ts.names["build"] {
		t.Fatalf("make -C %s -pRrq -f Makefile : printed no rules help and build: is make installed?\n%.500s", root, out)
	}
	return ts
}

// readPages parses every Markdown file of fsys outside skipDirs and testdata directories.
func readPages(t *testing.T, fsys fs.FS) map[string]page {
	t.Helper()
	pages := map[string]page{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && (slices.Contains(skipDirs, p) || d.Name() == "testdata") {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".md") {
			return nil
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		pages[p] = parse(string(src))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

// ---- The real tree ---------------------------------------------------------------------------

func TestLinksAndAnchors(t *testing.T) {
	t.Parallel()
	fsys := os.DirFS(root)
	pages := readPages(t, fsys)
	if _, ok := pages[readme]; !ok {
		t.Fatalf("no %s under %s", readme, root)
	}
	for _, name := range sortedKeys(pages) {
		for _, e := range checkLinks(fsys, name, pages) {
			t.Error(e)
		}
	}
}

func TestMakeTargets(t *testing.T) {
	t.Parallel()
	pages := readPages(t, os.DirFS(root))
	ts := makeTargetSet(t)
	for _, name := range sortedKeys(pages) {
		for _, e := range checkTargets(name, pages[name], ts) {
			t.Error(e)
		}
	}
}

func TestReadmeIsOnePage(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(filepath.Join(root, readme))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(strings.TrimSuffix(string(src), "\n"), "\n") + 1; n > readmeMaxRows {
		t.Errorf("%s:%d: %d lines, more than %d: move a section to a page under docs/ and link it", readme, n, n, readmeMaxRows)
	}
}

func sortedKeys(m map[string]page) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
