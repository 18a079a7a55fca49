package docs

import (
	"regexp"
	"slices"
	"strings"
)

// commands splits shell-like code into simple commands: words end at blanks; a command ends
// at a newline (not one escaped with '\'), ';', '&', '|', '(', ')', a backtick or "$(", which
// also starts one, inside double quotes too (eval "$(make -s k8s-env)"); '#' at the start of
// a word begins a comment; quotes join words and are dropped. A quote left open ends with its
// line: code spans in prose are not always whole commands.
func commands(code string) []command {
	var out []command
	cur := command{}
	var word strings.Builder
	inWord, single, double := false, false, false
	var outer []bool // for each open $(, whether it was inside double quotes
	line := 0
	endWord := func() {
		if inWord {
			cur.words = append(cur.words, word.String())
		}
		word.Reset()
		inWord = false
	}
	endCommand := func() {
		endWord()
		if len(cur.words) > 0 {
			out = append(out, cur)
		}
		cur = command{line: line}
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == '\n':
			single, double, outer = false, false, nil // a quote left open ends with its line
			endCommand()
			line++
			cur.line = line
		case single:
			if c == '\'' {
				single = false
			} else {
				word.WriteByte(c)
			}
		case c == '\\' && i+1 < len(code):
			i++
			if code[i] == '\n' { // a continued line
				line++
				endWord()
			} else {
				word.WriteByte(code[i])
				inWord = true
			}
		case c == '$' && i+1 < len(code) && code[i+1] == '(':
			i++
			endCommand()
			outer = append(outer, double) // $( ) quotes afresh inside double quotes
			double = false
		case c == ')' && len(outer) > 0:
			endCommand()
			double, outer = outer[len(outer)-1], outer[:len(outer)-1]
		case c == ')' || c == '`' || (!double && strings.IndexByte(";&|(", c) >= 0):
			endCommand()
		case c == '"':
			double, inWord = !double, true
		case double:
			word.WriteByte(c)
			inWord = true
		case c == '\'':
			single, inWord = true, true
		case c == ' ' || c == '\t':
			endWord()
		case c == '#' && !inWord: // a comment, to the end of the line
			for i+1 < len(code) && code[i+1] != '\n' {
				i++
			}
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	endCommand()
	return out
}

var assignmentRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// makeTargets returns the targets a command asks make for, or nothing when it is not a make
// command. Leading VAR=value words and sudo may come before make; after it, options (and the
// values of -C, -f, -I, -o, -W, -j, -l) and VAR=value assignments are skipped.
func makeTargets(words []string) []string {
	for len(words) > 0 && (words[0] == "sudo" || assignmentRE.MatchString(words[0])) {
		words = words[1:]
	}
	if len(words) == 0 || words[0] != "make" {
		return nil
	}
	var targets []string
	args := words[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case slices.Contains([]string{"-C", "-f", "-I", "-o", "-W", "--directory", "--file", "--makefile"}, a):
			i++ // its value is the next word
		case (a == "-j" || a == "-l") && i+1 < len(args) && strings.Trim(args[i+1], "0123456789.") == "":
			i++
		case strings.HasPrefix(a, "-"), assignmentRE.MatchString(a):
		default:
			targets = append(targets, a)
		}
	}
	return targets
}

// ---- Make's targets --------------------------------------------------------------------------

var (
	ruleRE    = regexp.MustCompile("^[a-zA-Z0-9][^$#/\t=:%]*:")
	patternRE = regexp.MustCompile(`^([^\s#:=%]*%[^\s#:=%]*):`)
)

// targetSet is what make can build: named rules, and pattern rules such as print-%.
type targetSet struct {
	names    map[string]bool
	patterns []string
}

// parseDatabase reads the rules out of make's database (make -p).
func parseDatabase(db string) targetSet {
	ts := targetSet{names: map[string]bool{}}
	for _, line := range strings.Split(db, "\n") {
		if m := patternRE.FindStringSubmatch(line); m != nil && !isAssignment(line[len(m[0]):]) {
			ts.patterns = append(ts.patterns, m[1])
			continue
		}
		if m := ruleRE.FindString(line); m != "" && !isAssignment(line[len(m):]) {
			ts.names[strings.TrimSpace(strings.TrimSuffix(m, ":"))] = true
		}
	}
	return ts
}

// isAssignment says whether what follows a name's first colon makes the line a variable
// (NAME := value, NAME ::= value) or a target-specific one (target: NAME = value), not a rule.
func isAssignment(rest string) bool {
	return strings.Contains(rest, "=")
}

func (ts targetSet) has(target string) bool {
	if ts.names[target] {
		return true
	}
	for _, p := range ts.patterns {
		prefix, suffix, _ := strings.Cut(p, "%")
		if len(target) > len(prefix)+len(suffix) && strings.HasPrefix(target, prefix) && strings.HasSuffix(target, suffix) {
			return true
		}
	}
	return false
}
