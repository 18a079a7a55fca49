package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// This project's rules, by name. Each one has a line in testdata/bad.Dockerfile that trips it.
const (
	RuleBaseImageArg        = "BaseImageArg"        // FROM names a stage, scratch, or one global ARG
	RuleBaseImagePinned     = "BaseImagePinned"     // that ARG's default has a fixed tag (not latest) or a digest
	RuleNumericNonRootUser  = "NumericNonRootUser"  // the final stage sets USER uid[:gid], numeric, not 0
	RuleExecFormEntrypoint  = "ExecFormEntrypoint"  // the final stage has ENTRYPOINT ["..."]
	RuleExecFormHealthcheck = "ExecFormHealthcheck" // the final stage has HEALTHCHECK CMD ["..."]
	RuleCopyNotAdd          = "CopyNotAdd"          // ADD fetches URLs and unpacks archives: COPY says what it does
	RuleNoShellInFinalStage = "NoShellInFinalStage" // nothing in the final stage needs or brings a shell
)

// Rules lists this project's rules, for tests and for the command's usage text.
var Rules = []string{
	RuleBaseImageArg, RuleBaseImagePinned, RuleNumericNonRootUser, RuleExecFormEntrypoint,
	RuleExecFormHealthcheck, RuleCopyNotAdd, RuleNoShellInFinalStage,
}

var (
	argRef   = regexp.MustCompile(`^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$`)
	numericU = regexp.MustCompile(`^[0-9]+(:[0-9]+)?$`)
	// Programs that are, or contain, a shell; copying one into the final stage brings it back.
	shells = map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true, "zsh": true, "ksh": true, "busybox": true}
)

// metaArg is a global ARG (declared before the first FROM) with its default, if any.
type metaArg struct {
	value *string // expanded with the globals declared before it
	line  int
}

// projectLint applies this project's rules. Only the Dockerfile is read: what the base
// images hold is the image tests' business (test/docker checks that no shell runs).
func projectLint(src []byte) ([]Finding, error) {
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	stages, metaCmds, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, err
	}
	if len(stages) == 0 {
		return nil, errors.New("no FROM: not a Dockerfile")
	}
	lex := shell.NewLex(res.EscapeToken)
	metas, err := metaArgs(lex, metaCmds)
	if err != nil {
		return nil, err
	}

	var out []Finding
	add := func(rule string, line int, format string, args ...any) {
		out = append(out, Finding{Rule: rule, Line: line, Message: fmt.Sprintf(format, args...)})
	}

	byName := map[string]int{}
	for i, st := range stages {
		checkBase(st, byName, metas, add)
		if st.Name != "" {
			byName[st.Name] = i
		}
		for _, cmd := range st.Commands {
			if a, ok := cmd.(*instructions.AddCommand); ok {
				add(RuleCopyNotAdd, line(a.Location()), "ADD %s: use COPY (ADD also fetches URLs and unpacks archives)",
					strings.Join(a.SourcePaths, " "))
			}
		}
	}
	checkFinalStage(stages, byName, add)
	return out, nil
}

// metaArgs expands the global ARGs in order, each with the ones declared before it.
func metaArgs(lex *shell.Lex, cmds []instructions.ArgCommand) (map[string]metaArg, error) {
	metas := map[string]metaArg{}
	var env []string
	for _, cmd := range cmds {
		for _, kv := range cmd.Args {
			m := metaArg{line: line(cmd.Location())}
			if kv.Value != nil {
				v, _, err := lex.ProcessWord(*kv.Value, shell.EnvsFromSlice(env))
				if err != nil {
					return nil, fmt.Errorf("line %d: ARG %s: %w", m.line, kv.Key, err)
				}
				m.value = &v
				env = append(env, kv.Key+"="+v)
			}
			metas[kv.Key] = m
		}
	}
	return metas, nil
}

type addFunc func(rule string, line int, format string, args ...any)

// checkBase applies BaseImageArg and BaseImagePinned to one stage's FROM.
func checkBase(st instructions.Stage, earlier map[string]int, metas map[string]metaArg, add addFunc) {
	at := line(st.Location)
	base := st.BaseName
	if _, ok := earlier[strings.ToLower(base)]; ok || base == "scratch" {
		return
	}
	m := argRef.FindStringSubmatch(base)
	if m == nil {
		add(RuleBaseImageArg, at, "FROM %s: name the base image with a global ARG (ARG X_IMAGE=name:tag before the first FROM, then FROM ${X_IMAGE})", base)
		return
	}
	name := m[1] + m[2]
	meta, ok := metas[name]
	if !ok {
		add(RuleBaseImageArg, at, "FROM %s: %s is not an ARG declared before the first FROM", base, name)
		return
	}
	if meta.value == nil || *meta.value == "" {
		add(RuleBaseImagePinned, meta.line, "ARG %s has no default: give it a fixed name:tag", name)
		return
	}
	if msg := pinned(*meta.value); msg != "" {
		add(RuleBaseImagePinned, meta.line, "ARG %s=%s: %s", name, *meta.value, msg)
	}
}

// pinned returns why an image reference is not fixed, or "" when it is.
func pinned(ref string) string {
	if ref == "scratch" {
		return ""
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "not an image reference: " + err.Error()
	}
	if _, ok := named.(reference.Digested); ok {
		return ""
	}
	tagged, ok := named.(reference.Tagged)
	switch {
	case !ok:
		return "no tag, which means latest: pin a version tag or a digest"
	case tagged.Tag() == "latest":
		return "the latest tag moves: pin a version tag or a digest"
	}
	return ""
}

// checkFinalStage applies the rules about what the image runs: the last stage of the file.
func checkFinalStage(stages []instructions.Stage, byName map[string]int, add addFunc) {
	final := stages[len(stages)-1]
	at := line(final.Location)
	var user *instructions.UserCommand
	var entrypoint *instructions.EntrypointCommand
	var health *instructions.HealthCheckCommand
	for _, cmd := range final.Commands {
		switch c := cmd.(type) {
		case *instructions.UserCommand:
			user = c
		case *instructions.EntrypointCommand:
			entrypoint = c
		case *instructions.HealthCheckCommand:
			health = c
		case *instructions.RunCommand:
			add(RuleNoShellInFinalStage, line(c.Location()), "RUN in the final stage: it needs a shell or tools in the image; run it in a build stage and COPY the result")
		case *instructions.ShellCommand:
			add(RuleNoShellInFinalStage, line(c.Location()), "SHELL in the final stage: the image has no shell")
		case *instructions.CmdCommand:
			if c.PrependShell {
				add(RuleNoShellInFinalStage, line(c.Location()), "CMD in shell form runs /bin/sh -c: use the exec form CMD [\"...\"]")
			}
		case *instructions.CopyCommand:
			for _, p := range append(append([]string{}, c.SourcePaths...), c.DestPath) {
				if shells[path.Base(p)] {
					add(RuleNoShellInFinalStage, line(c.Location()), "COPY %s brings a shell into the final stage", p)
					break
				}
			}
		}
	}

	switch {
	case user == nil:
		add(RuleNumericNonRootUser, at, "the final stage sets no USER, so it runs as root: add USER 65532:65532")
	case !numericU.MatchString(user.User):
		add(RuleNumericNonRootUser, line(user.Location()), "USER %s: use numeric uid:gid (scratch has no /etc/passwd to look names up in)", user.User)
	case strings.TrimLeft(strings.Split(user.User, ":")[0], "0") == "":
		add(RuleNumericNonRootUser, line(user.Location()), "USER %s is root: use a non-zero uid such as 65532", user.User)
	}

	switch {
	case entrypoint == nil:
		add(RuleExecFormEntrypoint, at, "the final stage has no ENTRYPOINT: add ENTRYPOINT [\"/binary\"]")
	case entrypoint.PrependShell:
		add(RuleExecFormEntrypoint, line(entrypoint.Location()), "ENTRYPOINT in shell form runs /bin/sh -c: use ENTRYPOINT [\"...\"]")
	}

	switch {
	case health == nil || health.Health == nil || len(health.Health.Test) == 0 || health.Health.Test[0] == "NONE":
		add(RuleExecFormHealthcheck, at, "the final stage has no HEALTHCHECK: add HEALTHCHECK CMD [\"/binary\", \"healthcheck\"]")
	case health.Health.Test[0] != "CMD":
		add(RuleExecFormHealthcheck, line(health.Location()), "HEALTHCHECK CMD in shell form runs /bin/sh -c: use HEALTHCHECK CMD [\"...\"]")
	}

	// A final stage built on a stage that runs commands inherits that stage's shell.
	if shellStage := runsCommands(stages, byName, final); shellStage != "" {
		add(RuleNoShellInFinalStage, at, "the final stage starts from %s, which runs commands, so it has a shell: start from scratch or a shell-less base", shellStage)
	}
}

// runsCommands names the stage or base image that the final stage descends from and that
// a RUN in this file executes in, or "" when there is none.
func runsCommands(stages []instructions.Stage, byName map[string]int, final instructions.Stage) string {
	withRun := map[string]bool{} // base images (as written in FROM) that some stage RUNs in
	for _, st := range stages[:len(stages)-1] {
		for _, cmd := range st.Commands {
			if _, ok := cmd.(*instructions.RunCommand); ok {
				withRun[rootBase(stages, byName, st)] = true
				break
			}
		}
	}
	root := rootBase(stages, byName, final)
	if root != "scratch" && withRun[root] {
		return root
	}
	return ""
}

// rootBase follows FROM <stage> links back to the image the chain starts from.
func rootBase(stages []instructions.Stage, byName map[string]int, st instructions.Stage) string {
	for range stages { // a chain is never longer than the file
		i, ok := byName[strings.ToLower(st.BaseName)]
		if !ok {
			break
		}
		st = stages[i]
	}
	return st.BaseName
}

// line is the first line of a location, 0 when there is none.
func line(loc []parser.Range) int {
	if len(loc) == 0 {
		return 0
	}
	return loc[0].Start.Line
}
