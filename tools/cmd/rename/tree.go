package main

import (
	"bytes"
	"errors"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// skipDirs are left alone, relative to the root with '/' separators: git's own data,
// build output, load-test results (a record of what was measured, under the name it had),
// and this command's sources, whose tests build a tree that holds the template's names
// on purpose and would no longer pass if those were rewritten.
var skipDirs = map[string]bool{
	"bin":              true,
	"dist":             true,
	"loadtest/results": true,
	"tools/cmd/rename": true,
}

// skipFiles are left alone: the MIT copyright notice names its holder and must stay.
var skipFiles = map[string]bool{
	"LICENSE": true,
}

// sniffLen is how much of a file is checked for a NUL byte to call it binary, as git and
// grep do: rewriting bytes inside a binary would corrupt it.
const sniffLen = 8000

// plan is every change, worked out before the first one is made so that a conflict
// stops the command with nothing changed.
type plan struct {
	files []fileChange
	moves []move
}

// fileChange is a text file whose bytes change.
type fileChange struct {
	path, rel string
	data      []byte
	mode      fs.FileMode
}

// move is a file or directory whose base name changes.
type move struct {
	from, to       string
	fromRel, toRel string
	depth          int
}

// makePlan walks root once, collecting the text rewrites (text) and renames (paths).
func makePlan(root string, text, paths *replacer) (*plan, error) {
	p := &plan{}
	err := filepath.WalkDir(root, func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, file)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if d.Name() == ".git" || skipDirs[rel] {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil // a worktree's .git file, or a bin file: not ours to change
		}
		if skipFiles[rel] {
			return nil
		}
		if d.Type().IsRegular() {
			if err := p.addFile(file, rel, text); err != nil {
				return err
			}
		}
		if base := paths.replaceString(d.Name()); base != d.Name() {
			to := path.Join(path.Dir(rel), base)
			p.moves = append(p.moves, move{
				from: file, to: filepath.Join(filepath.Dir(file), base),
				fromRel: rel, toRel: to, depth: strings.Count(rel, "/"),
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Deepest first, so a directory moves after everything in it and each move's source
	// path is still the one recorded by the walk.
	sort.SliceStable(p.moves, func(i, j int) bool { return p.moves[i].depth > p.moves[j].depth })
	return p, p.checkMoves()
}

// addFile records the rewrite of one regular file if it is text and its bytes change.
func (p *plan) addFile(file, rel string, r *replacer) error {
	info, err := os.Lstat(file)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file) //nolint:gosec // a file of the tree being renamed
	if err != nil {
		return err
	}
	if bytes.IndexByte(data[:min(len(data), sniffLen)], 0) >= 0 {
		return nil
	}
	out := r.replace(data)
	if bytes.Equal(out, data) {
		return nil
	}
	if strings.HasSuffix(rel, ".go") {
		out = reformat(data, out)
	}
	p.files = append(p.files, fileChange{path: file, rel: rel, data: out, mode: info.Mode()})
	return nil
}

// reformat keeps a gofmt-clean Go file gofmt-clean: a name of another length shifts the
// columns gofmt aligns (map keys, struct tags, trailing comments), and lint checks that.
// A file that was not clean before (say, testdata kept that way on purpose) or that does
// not parse is left exactly as rewritten.
func reformat(before, after []byte) []byte {
	if clean, err := format.Source(before); err != nil || !bytes.Equal(clean, before) {
		return after
	}
	if clean, err := format.Source(after); err == nil {
		return clean
	}
	return after
}

// checkMoves refuses a plan whose renames would overwrite a path, whether one already
// there or the target of another rename.
func (p *plan) checkMoves() error {
	taken := map[string]string{}
	for _, m := range p.moves {
		if other, ok := taken[m.toRel]; ok {
			return fmt.Errorf("both %s and %s would be renamed to %s: nothing changed", other, m.fromRel, m.toRel)
		}
		taken[m.toRel] = m.fromRel
		if _, err := os.Lstat(m.to); err == nil {
			return fmt.Errorf("cannot rename %s to %s: %s already exists; nothing changed", m.fromRel, m.toRel, m.toRel)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// apply makes the changes: text first, then names, as planned.
func (p *plan) apply() error {
	for i, f := range p.files {
		if err := writeFile(f); err != nil {
			return fmt.Errorf("%w (after rewriting %s; no path renamed yet)", err, count(i, "file"))
		}
	}
	for i, m := range p.moves {
		// The check ran before any write; look again in case the tree changed since.
		if _, err := os.Lstat(m.to); err == nil {
			return fmt.Errorf("cannot rename %s to %s: it already exists (after renaming %s)", m.fromRel, m.toRel, count(i, "path"))
		}
		if err := os.Rename(m.from, m.to); err != nil {
			return fmt.Errorf("%w (after renaming %s)", err, count(i, "path"))
		}
	}
	return nil
}

// writeFile replaces a file through a temporary file in the same directory, so a failure
// never leaves it half written, and gives the new file the old one's permission bits.
func writeFile(f fileChange) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(f.path), "."+filepath.Base(f.path)+".rename-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name()) // best effort: the error that matters is err
		}
	}()
	if _, err = tmp.Write(f.data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err = tmp.Chmod(f.mode & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)); err != nil {
		_ = tmp.Close()
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), f.path)
}
