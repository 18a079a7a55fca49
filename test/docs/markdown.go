// Package docs checks the project's Markdown: every relative link leads to a file or
// directory that exists, every #anchor to a heading of its page, every `make TARGET`
// written as code names a target the Makefile has, and README.md stays one page.
//
// Plain go test, no build tag; the repository root is ../.. from here. It reads the
// Makefile's targets from make itself (its database, make -p), never from the .mk files, so
// a satellite's targets count exactly when its folder is present.
package docs

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// ---- Parsing ---------------------------------------------------------------------------------

// ref is something found in a page: a link target or a make command's target, with its line.
type ref struct {
	line int
	text string
}

// page is one Markdown file cut into what the checks need.
type page struct {
	links   []ref           // link targets outside code, as written
	targets []ref           // targets of `make ...` commands inside code
	anchors map[string]bool // the ids GitHub gives the page's headings
}

var (
	fenceRE   = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})")
	headingRE = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	// An inline link or image: [text](target "title"); the text holds no ']' once code spans
	// are blanked out.
	inlineLinkRE = regexp.MustCompile(`\[[^\]]*\]\(\s*(<[^>]*>|[^\s)]*)(?:\s+"[^"]*")?\s*\)`)
	// A link reference definition: [label]: target
	refDefRE = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s*(\S+)`)
)

// parse reads one Markdown file. Fenced code blocks and code spans are code: their make
// commands are collected and their links ignored. Everything else is prose: its links are
// collected and its make commands ignored ("make it yours" is English).
func parse(src string) page {
	p := page{anchors: map[string]bool{}}
	lines := strings.Split(src, "\n")
	seen := map[string]int{} // slug -> how many headings had it, for -1, -2, ...
	var fence string         // the open fence, "" outside a fenced block
	var block []string       // the current prose block (lines up to a blank one)
	blockStart := 0
	flush := func() {
		p.prose(strings.Join(block, "\n"), blockStart)
		block = nil
	}
	var code []string // the current fenced block's lines
	codeStart := 0
	for i, line := range lines {
		n := i + 1
		if fence != "" {
			if m := fenceRE.FindStringSubmatch(line); m != nil && m[1][0] == fence[0] &&
				len(m[1]) >= len(fence) && strings.TrimSpace(line[len(m[0]):]) == "" {
				p.addCommands(strings.Join(code, "\n"), codeStart)
				fence, code = "", nil
				continue
			}
			code = append(code, line)
			continue
		}
		if m := fenceRE.FindStringSubmatch(line); m != nil {
			flush()
			fence, codeStart = m[1], n+1
			continue
		}
		if m := headingRE.FindStringSubmatch(line); m != nil {
			flush()
			p.prose(m[2], n) // a heading's links and code spans count like any other
			s := slug(m[2])
			id := s
			if k := seen[s]; k > 0 {
				id = fmt.Sprintf("%s-%d", s, k)
			}
			seen[s]++
			p.anchors[id] = true
			continue
		}
		if strings.TrimSpace(line) == "" {
			flush()
			blockStart = n + 1
			continue
		}
		if block == nil {
			blockStart = n
		}
		block = append(block, line)
	}
	flush()
	if fence != "" { // an unclosed fence runs to the end of the file
		p.addCommands(strings.Join(code, "\n"), codeStart)
	}
	return p
}

// prose collects the links and the code spans' make commands of one block of text that
// starts on line start.
func (p *page) prose(text string, start int) {
	masked := []byte(text)
	for _, span := range codeSpans(text) {
		// A code span's line endings are spaces: `make\nsize` is the command make size.
		content := strings.ReplaceAll(text[span[0]+span[2]:span[1]-span[2]], "\n", " ")
		p.addCommands(content, start+strings.Count(text[:span[0]], "\n"))
		for i := span[0]; i < span[1]; i++ {
			if masked[i] != '\n' {
				masked[i] = ' '
			}
		}
	}
	m := string(masked)
	for _, loc := range inlineLinkRE.FindAllStringSubmatchIndex(m, -1) {
		p.links = append(p.links, ref{start + strings.Count(m[:loc[0]], "\n"), unbracket(m[loc[2]:loc[3]])})
	}
	for i, line := range strings.Split(m, "\n") {
		if d := refDefRE.FindStringSubmatch(line); d != nil {
			p.links = append(p.links, ref{start + i, unbracket(d[1])})
		}
	}
}

// unbracket turns a link destination written <like this> into like this.
func unbracket(target string) string {
	return strings.TrimSuffix(strings.TrimPrefix(target, "<"), ">")
}

// codeSpans returns every code span in text as {start, end, n}: [start, end) holds the span
// with its backticks, n of them on each side. A run of n backticks opens a span that the
// next run of exactly n closes; a run that nothing closes is literal backticks.
func codeSpans(text string) [][3]int {
	var runs [][2]int // every run of backticks: {start, length}
	for i := 0; i < len(text); {
		if text[i] != '`' {
			i++
			continue
		}
		j := i
		for j < len(text) && text[j] == '`' {
			j++
		}
		runs = append(runs, [2]int{i, j - i})
		i = j
	}
	var spans [][3]int
	for a := 0; a < len(runs); a++ {
		for b := a + 1; b < len(runs); b++ {
			if runs[b][1] == runs[a][1] {
				spans = append(spans, [3]int{runs[a][0], runs[b][0] + runs[b][1], runs[a][1]})
				a = b
				break
			}
		}
	}
	return spans
}

// slug is the id GitHub gives a heading: its text (code spans' backticks and links' targets
// left out) in lower case, spaces turned into '-', punctuation other than '-' and '_' dropped.
func slug(heading string) string {
	heading = inlineLinkRE.ReplaceAllStringFunc(heading, func(l string) string {
		return l[1:strings.Index(l, "](")]
	})
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// addCommands collects the targets of every make command in a piece of code (a fenced
// block, or a code span) that starts on line start.
func (p *page) addCommands(code string, start int) {
	for _, c := range commands(code) {
		for _, t := range makeTargets(c.words) {
			p.targets = append(p.targets, ref{start + c.line, t})
		}
	}
}

// command is one simple shell command: its words, and its line within the code.
type command struct {
	line  int
	words []string
}
