package dockerfile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// lint runs Lint on a Dockerfile written inline, for the table tests.
func lint(t *testing.T, src string) []Finding {
	t.Helper()
	findings, err := Lint([]byte(src))
	if err != nil {
		t.Fatalf("Lint: %v\n%s", err, src)
	}
	return findings
}

func rulesOf(findings []Finding) []string {
	var rules []string
	for _, f := range findings {
		if !slices.Contains(rules, f.Rule) {
			rules = append(rules, f.Rule)
		}
	}
	return rules
}

// TestBadDockerfileTripsEveryRule is the proof that each rule can fire: the deliberately
// bad Dockerfile in testdata must trip every project rule and a spread of BuildKit's.
func TestBadDockerfileTripsEveryRule(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "bad.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	findings, err := Lint(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Log(f)
	}
	got := rulesOf(findings)
	buildkit := []string{"FromAsCasing", "StageNameCasing", "MaintainerDeprecated", "WorkdirRelativePath",
		"LegacyKeyValueFormat", "ExposeProtoCasing", "UndefinedVar", "JSONArgsRecommended"}
	for _, rule := range append(slices.Clone(Rules), buildkit...) {
		if !slices.Contains(got, rule) {
			t.Errorf("rule %s did not fire on testdata/bad.Dockerfile", rule)
		}
	}
	// Two ways to miss a pinned base: latest and no tag. (An ARG without a default is a
	// table test: BuildKit stops at it, which would hide its later checks here.)
	pinnedLines := 0
	for _, f := range findings {
		if f.Rule == RuleBaseImagePinned {
			pinnedLines++
		}
	}
	if pinnedLines != 2 {
		t.Errorf("BaseImagePinned fired %d times, want 2 (latest, untagged)", pinnedLines)
	}
}

// TestProjectDockerfilesPass keeps the three shipped Dockerfiles clean; make lint checks
// them too, this makes the rules' own tests fail first when a rule is too strict.
func TestProjectDockerfilesPass(t *testing.T) {
	for _, name := range []string{"Dockerfile", "Dockerfile.upx", "Dockerfile.alpine"} {
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("..", "..", "..", name))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range lint(t, string(src)) {
				t.Errorf("%s:%s", name, f)
			}
		})
	}
}

// good is a final stage that passes every rule; the table tests change one line of it.
const good = `ARG GO_IMAGE=golang:1.26.8-bookworm
ARG RUNTIME_IMAGE=scratch
FROM ${GO_IMAGE} AS build
RUN go build -o /out/app .
FROM ${RUNTIME_IMAGE} AS runtime
COPY --from=build /out/app /app
USER 65532:65532
HEALTHCHECK CMD ["/app", "healthcheck"]
ENTRYPOINT ["/app"]
`

func TestRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		old, new  string // replace old with new in good
		wantRules []string
	}{
		{"good", "", "", nil},
		{"digest pin", "golang:1.26.8-bookworm", "golang@sha256:" + strings.Repeat("a", 64), nil},
		{"user without group", "USER 65532:65532", "USER 65532", nil},
		{"stage reference", "FROM ${RUNTIME_IMAGE} AS runtime", "FROM scratch AS base\nFROM base AS runtime", nil},
		{"literal base", "FROM ${GO_IMAGE} AS build", "FROM golang:1.26.8-bookworm AS build", []string{RuleBaseImageArg}},
		{"undeclared arg", "FROM ${GO_IMAGE} AS build", "FROM ${OTHER} AS build", []string{RuleBaseImageArg, "UndefinedArgInFrom", "InvalidDefaultArgInFrom", "BuildError"}},
		{"latest", "golang:1.26.8-bookworm", "golang:latest", []string{RuleBaseImagePinned}},
		{"untagged", "golang:1.26.8-bookworm", "golang", []string{RuleBaseImagePinned}},
		{"no default", "ARG GO_IMAGE=golang:1.26.8-bookworm", "ARG GO_IMAGE", []string{RuleBaseImagePinned, "InvalidDefaultArgInFrom", "BuildError"}},
		{"default from another arg", "ARG GO_IMAGE=golang:1.26.8-bookworm", "ARG GO=1.26.8\nARG GO_IMAGE=golang:${GO}-bookworm", nil},
		{"named user", "USER 65532:65532", "USER nonroot", []string{RuleNumericNonRootUser}},
		{"root user", "USER 65532:65532", "USER 0:0", []string{RuleNumericNonRootUser}},
		{"root user, zeros", "USER 65532:65532", "USER 000", []string{RuleNumericNonRootUser}},
		{"no user", "USER 65532:65532\n", "", []string{RuleNumericNonRootUser}},
		{"shell entrypoint", `ENTRYPOINT ["/app"]`, "ENTRYPOINT /app", []string{RuleExecFormEntrypoint, "JSONArgsRecommended"}},
		{"no entrypoint", `ENTRYPOINT ["/app"]`, `CMD ["/app"]`, []string{RuleExecFormEntrypoint}},
		{"shell healthcheck", `HEALTHCHECK CMD ["/app", "healthcheck"]`, "HEALTHCHECK CMD /app healthcheck", []string{RuleExecFormHealthcheck}},
		{"healthcheck none", `HEALTHCHECK CMD ["/app", "healthcheck"]`, "HEALTHCHECK NONE", []string{RuleExecFormHealthcheck}},
		{"add", "COPY --from=build /out/app /app", "ADD app /app", []string{RuleCopyNotAdd}},
		{"run in final", "USER 65532:65532", "RUN [\"/app\", \"init\"]\nUSER 65532:65532", []string{RuleNoShellInFinalStage}},
		{"shell cmd", "USER 65532:65532", "CMD /app serve\nUSER 65532:65532", []string{RuleNoShellInFinalStage, "JSONArgsRecommended"}},
		{"copied shell", "USER 65532:65532", "COPY --from=build /bin/bash /usr/bin/\nUSER 65532:65532", []string{RuleNoShellInFinalStage}},
		{"final on builder", "FROM ${RUNTIME_IMAGE} AS runtime", "FROM build AS runtime", []string{RuleNoShellInFinalStage}},
		{"final on builder image", "FROM ${RUNTIME_IMAGE} AS runtime", "FROM ${GO_IMAGE} AS runtime", []string{RuleNoShellInFinalStage}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := good
			if tt.old != "" {
				if !strings.Contains(src, tt.old) {
					t.Fatalf("%q is not in the good Dockerfile", tt.old)
				}
				src = strings.Replace(src, tt.old, tt.new, 1)
			}
			findings := lint(t, src)
			got := rulesOf(findings)
			slices.Sort(got)
			want := slices.Clone(tt.wantRules)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("rules %v, want %v\n%v\n%s", got, want, findings, src)
			}
		})
	}
}

func TestUnparsable(t *testing.T) {
	if _, err := Lint([]byte("RUN echo no FROM\n")); err == nil {
		t.Error("a Dockerfile without FROM linted without error")
	}
	if _, err := Lint(nil); err == nil {
		t.Error("an empty Dockerfile linted without error")
	}
}
