# Every check of `make lint`, in one place (tools/): gofmt, go vet and golangci-lint (pinned
# in tools/go.mod) on every Go module in the tree, shellcheck on every script, the
# Dockerfiles and the GitHub Actions workflows. A satellite's module is linted when its
# folder exists, with the build tags its tagged tests need.

LINT_DOCKERFILES := Dockerfile Dockerfile.upx Dockerfile.alpine
LINT_WORKFLOWS    = $(wildcard .github/workflows/*.yml)
SCRIPTS           = $(call once,SCRIPTS,git ls-files '*.sh' '.ci/*')
# The Go modules to lint: every go.mod but test data and the modules that only pin versions
# (the Kubernetes and add-on builds, syft, the vulnerability data).
LINT_MODULES      = $(call once,LINT_MODULES,git ls-files '*go.mod' | grep -v -e testdata -e deploy/cluster/kubernetes -e deploy/cluster/addons/metrics-server -e deploy/cluster/addons/kube-router -e deploy/cluster/addons/victoria-metrics -e tools/sbom -e tools/vulndb | sed -e 's|/*go.mod$$||' -e 's|^$$|.|')

.PHONY: lint
lint: lint-go lint-shell lint-dockerfiles lint-workflows ## Check formatting, vet, golangci-lint on every module, shellcheck, Dockerfiles and workflows

# An add-on is vetted with the toolchain and flags build-addons.sh builds it with, so the
# dependencies vet compiles are the build's: CoreDNS's then builds in seconds, not a minute.
.PHONY: lint-go
lint-go: ## gofmt, go vet and the pinned golangci-lint on every Go module of the tree
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  [ -z "$$unformatted" ] || { echo "make lint: gofmt would change: $$unformatted" >&2; exit 1; }
	@golangci=$$(go tool -n -modfile=tools/go.mod golangci-lint) || exit 1; \
	for m in $(LINT_MODULES); do \
	  case $$m in deploy) tags=k8s;; packaging) tags=systemd,apktools;; test) tags=docker,platforms,fork,conformance,proxies,metrics;; *) tags=;; esac; \
	  case $$m in deploy/cluster/addons/*) vetenv="GOTOOLCHAIN=auto CGO_ENABLED=0" vetflags=-trimpath;; *) vetenv= vetflags=;; esac; \
	  echo "lint: $$m: go vet, golangci-lint$${tags:+ (tags $$tags)}"; \
	  (cd $$m && env $$vetenv go vet $$vetflags $${tags:+-tags $$tags} ./... && "$$golangci" run $${tags:+--build-tags $$tags} ./...) || exit 1; \
	done

.PHONY: lint-shell
lint-shell:
	@$(call need,shellcheck,apt-get install shellcheck)
	shellcheck $(SCRIPTS)

.PHONY: lint-dockerfiles
lint-dockerfiles: ## Check the Dockerfiles with BuildKit's linter and this project's rules (tools/lint; its tests prove each rule fires)
	go -C tools/lint test ./...
	go -C tools/lint run ./cmd/dockerlint $(abspath $(LINT_DOCKERFILES))

.PHONY: lint-workflows
lint-workflows: ## Check the GitHub Actions workflows with actionlint (pinned in tools/lint)
	go -C tools/lint tool actionlint $(abspath $(LINT_WORKFLOWS))
