package docs

import (
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"strings"
)

// ---- Checks ----------------------------------------------------------------------------------

var schemeRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)

// checkLinks returns one message per link of the page name (a slash path in fsys) that
// leads nowhere: a file or directory that does not exist, or an anchor its page lacks.
// pages holds every Markdown file of fsys, parsed.
func checkLinks(fsys fs.FS, name string, pages map[string]page) []string {
	var errs []string
	for _, l := range pages[name].links {
		if schemeRE.MatchString(l.text) || strings.HasPrefix(l.text, "//") {
			continue // an absolute URL, mailto: and the like
		}
		target, anchor, _ := strings.Cut(l.text, "#")
		if p, err := url.PathUnescape(target); err == nil {
			target = p
		}
		file := name
		if target != "" {
			if strings.HasPrefix(target, "/") { // GitHub resolves /x from the repository root
				file = path.Clean(strings.TrimPrefix(target, "/"))
			} else {
				file = path.Join(path.Dir(name), target)
			}
			if !fs.ValidPath(file) {
				errs = append(errs, fmt.Sprintf("%s:%d: link %q leaves the repository", name, l.line, l.text))
				continue
			}
			if _, err := fs.Stat(fsys, file); err != nil {
				errs = append(errs, fmt.Sprintf("%s:%d: link %q: %s does not exist", name, l.line, l.text, file))
				continue
			}
		}
		if anchor == "" || !strings.HasSuffix(file, ".md") {
			continue
		}
		if to, ok := pages[file]; ok && !to.anchors[anchor] {
			errs = append(errs, fmt.Sprintf("%s:%d: link %q: %s has no heading with the anchor #%s", name, l.line, l.text, file, anchor))
		}
	}
	return errs
}

// checkTargets returns one message per make target the page names in code that make lacks.
func checkTargets(name string, p page, ts targetSet) []string {
	var errs []string
	for _, tg := range p.targets {
		if !ts.has(tg.text) {
			errs = append(errs, fmt.Sprintf("%s:%d: make %s: the Makefile has no target %q (make help lists them)", name, tg.line, tg.text, tg.text))
		}
	}
	return errs
}
