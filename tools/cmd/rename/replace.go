package main

import (
	"bytes"
	"strings"
)

// replacer rewrites text in one left-to-right scan. Text it has put in is never looked
// at again, so a new module path that holds the old name (github.com/me/getsmall with
// -name svc) is not mangled. Where two rules match at the same byte the first wins, and
// the module path comes first, so the name inside it is left to the module rule.
type replacer struct {
	rules []rule
}

// rule is one replacement; word rules apply only between word boundaries.
type rule struct {
	old, new []byte
	word     bool
}

// newReplacer builds the text rules for renaming have into want.
func newReplacer(have, want names) *replacer {
	// The module rule stays even when the module does not change: matching the path as a
	// whole is what keeps the name rule from rewriting the name inside it.
	r := &replacer{rules: []rule{{old: []byte(have.module), new: []byte(want.module)}}}
	if have.name != want.name {
		r.rules = append(r.rules,
			rule{old: []byte(have.name), new: []byte(want.name), word: true},
			rule{old: []byte(upper(have.name)), new: []byte(upper(want.name)), word: true})
	}
	return r
}

// nameReplacer builds the rule for file and directory names: only the lower-case name
// appears there (cmd/getsmall, strace-getsmall.txt).
func nameReplacer(have, want names) *replacer {
	r := &replacer{}
	if have.name != want.name {
		r.rules = append(r.rules, rule{old: []byte(have.name), new: []byte(want.name), word: true})
	}
	return r
}

// upper is the name as it appears in environment variables (GETSMALL_K8S_STATE): '-' is
// not allowed there. The current name's upper form is derived the same way, because that
// is how an earlier rename wrote it into the tree.
func upper(name string) string {
	return strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// replace returns src with every rule applied, or src itself when nothing matched, so
// the caller can tell a change by comparing lengths and bytes cheaply.
func (r *replacer) replace(src []byte) []byte {
	if len(r.rules) == 0 {
		return src
	}
	var out []byte
	last := 0
	for i := 0; i < len(src); {
		ru := r.match(src, i)
		if ru == nil {
			i++
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(src)+len(src)/8)
		}
		out = append(out, src[last:i]...)
		out = append(out, ru.new...)
		i += len(ru.old)
		last = i
	}
	if out == nil {
		return src
	}
	return append(out, src[last:]...)
}

// replaceString is replace for file and directory names.
func (r *replacer) replaceString(s string) string {
	return string(r.replace([]byte(s)))
}

// match returns the first rule that matches at src[i], or nil.
func (r *replacer) match(src []byte, i int) *rule {
	for k := range r.rules {
		ru := &r.rules[k]
		if !bytes.HasPrefix(src[i:], ru.old) {
			continue
		}
		if ru.word && (i > 0 && isWordByte(src[i-1]) || i+len(ru.old) < len(src) && isWordByte(src[i+len(ru.old)])) {
			continue
		}
		return ru
	}
	return nil
}

// isWordByte reports whether b continues a word. Only ASCII letters and digits do: '-',
// '_', '.', '/' and ':' all end one, so getsmall-floppy, GETSMALL_K8S_STATE, /getsmall
// and getsmall:dev match while xgetsmall and getsmall2 do not.
func isWordByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}
