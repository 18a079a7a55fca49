# Kubernetes (deploy/, a module of its own): the manifests and a real two-node cluster to
# prove them on. The cluster is Kubernetes, metrics-server, CoreDNS, kube-router and
# VictoriaMetrics built from the Go module proxy (pinned in deploy/cluster/kubernetes/go.mod
# and deploy/cluster/addons/*/go.mod) plus Debian's etcd, containerd, runc and CNI plugins.
# Pulled in by the root Makefile when this folder exists; `make lint` lints this module too.

# The Kubernetes binaries are built once per version into the cache, outside the clone.
XDG_CACHE_HOME    ?=
K8S_CACHE_ROOT    ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/getsmall
K8S_CACHE         ?= $(K8S_CACHE_ROOT)/kubernetes
K8S_VERSION        = $(call once,K8S_VERSION,awk '$$1 == "k8s.io/kubernetes" {print $$2}' deploy/cluster/kubernetes/go.mod)
K8S_BIN            = $(K8S_CACHE)/$(K8S_VERSION)/bin
# The add-ons, built the same way into the same cache: the metrics API the autoscaler
# reads, and the cluster DNS.
METRICS_SERVER_VERSION = $(call once,METRICS_SERVER_VERSION,awk '$$1 == "sigs.k8s.io/metrics-server" {print $$2}' deploy/cluster/addons/metrics-server/go.mod)
COREDNS_VERSION        = $(call once,COREDNS_VERSION,awk '($$1 == "github.com/coredns/coredns") {print $$2} ($$1 == "require" && $$2 == "github.com/coredns/coredns") {print $$3}' deploy/cluster/addons/coredns/go.mod)
METRICS_SERVER_BIN = $(K8S_CACHE_ROOT)/addons/metrics-server-$(METRICS_SERVER_VERSION)/bin/metrics-server
COREDNS_BIN        = $(K8S_CACHE_ROOT)/addons/coredns-$(COREDNS_VERSION)/bin/coredns
# kube-router's firewall alone: what enforces NetworkPolicy on the test cluster.
KUBE_ROUTER_VERSION = $(call once,KUBE_ROUTER_VERSION,awk '$$1 == "github.com/cloudnativelabs/kube-router/v2" {print $$2}' deploy/cluster/addons/kube-router/go.mod)
KUBE_ROUTER_BIN    = $(K8S_CACHE_ROOT)/addons/kube-router-$(KUBE_ROUTER_VERSION)/bin/kube-router
# VictoriaMetrics single-node: the Prometheus-compatible scraper that finds the pods through
# Kubernetes service discovery.
VICTORIA_METRICS_VERSION = $(call once,VICTORIA_METRICS_VERSION,awk '$$1 == "github.com/VictoriaMetrics/VictoriaMetrics" {print $$2}' deploy/cluster/addons/victoria-metrics/go.mod)
VICTORIA_METRICS_BIN     = $(K8S_CACHE_ROOT)/addons/victoria-metrics-$(VICTORIA_METRICS_VERSION)/bin/victoria-metrics
# How many nodes k8s-up starts (1 to 3): each is a kubelet with its own containerd,
# bridge, pod subnet and cgroups, about 100 MiB more.
K8S_NODES         ?= 2
# The cluster's state: certificates, configuration, etcd, containerd, logs, PIDs.
K8S_STATE         ?= /var/lib/getsmall-k8s
# The cluster's image registry on 127.0.0.1 (make docker-push REGISTRY=127.0.0.1:5001).
K8S_REGISTRY_PORT ?= 5001
# Empty keeps each overlay's drain in the rollout tests; set them to measure another:
# SHUTDOWN_DELAY (e.g. 0s), and a preStop sleep in seconds before the SIGTERM.
K8S_SHUTDOWN_DELAY ?=
K8S_PRESTOP_SLEEP  ?=
# A regular expression of the e2e tests to run (go test -run); empty runs them all.
K8S_RUN            ?=
K8S_TOOLS   := $(BIN_DIR)/k8s
# Absolute paths: test-k8s hands the same flags to the cluster tool from deploy/.
K8S_FLAGS    = -dir $(abspath $(K8S_STATE)) -bin $(K8S_BIN) -pause $(abspath $(K8S_TOOLS))/pause \
  -probe $(abspath $(K8S_TOOLS))/probe -metrics-server $(METRICS_SERVER_BIN) -coredns $(COREDNS_BIN) -kube-router $(KUBE_ROUTER_BIN) \
  -victoria-metrics $(VICTORIA_METRICS_BIN) -registry $(abspath $(K8S_TOOLS))/registry -registry-port $(K8S_REGISTRY_PORT)

# k8s-render prints an overlay as kubectl apply -k would send it, after the manifest checks;
# prod must name its image by digest, or nothing is printed and the message says how.
OVERLAY ?= dev

.PHONY: k8s-render
k8s-render: ## Print an overlay (OVERLAY=dev|prod|edge) for kubectl apply -f -; prod refuses an image not pinned by digest
	@mkdir -p $(K8S_TOOLS) && go -C deploy build -o $(abspath $(K8S_TOOLS))/render ./cmd/render
	@$(K8S_TOOLS)/render $(if $(filter prod,$(OVERLAY)),-require-digest) $(CURDIR)/deploy/overlays/$(OVERLAY)

.PHONY: test-manifests
test-manifests: ## Render every overlay, decode it strictly, check Pod Security and agreement with the server (Go only)
	cd deploy && go test -count=1 ./...

# Kubernetes is test infrastructure, not shipped: it builds with the Go its go.mod asks for
# (the machine's, when new enough), not the project's pin: deploy/cluster/README.md says why.
k8s-build: GOTOOLCHAIN := auto
.PHONY: k8s-build
k8s-build: ## Build the pinned Kubernetes, metrics-server, CoreDNS, kube-router and VictoriaMetrics once into ~/.cache/getsmall (minutes the first time)
	@bash deploy/cluster/build-kubernetes.sh $(K8S_CACHE) >/dev/null
	@bash deploy/cluster/build-addons.sh $(K8S_CACHE_ROOT) >/dev/null

# The cluster's own programs: the cluster tool, the pause binary and the local registry.
.PHONY: k8s-tools
k8s-tools:
	@mkdir -p $(K8S_TOOLS)
	cd deploy && go build -trimpath -o ../$(K8S_TOOLS)/cluster ./cluster
	cd deploy && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o ../$(K8S_TOOLS)/pause ./cluster/pause
	cd deploy && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o ../$(K8S_TOOLS)/probe ./cluster/probe
	go build -modfile=tools/go.mod -trimpath -o $(K8S_TOOLS)/registry github.com/google/go-containerregistry/cmd/registry

.PHONY: k8s-up
k8s-up: k8s-build k8s-tools ## Start the test cluster here (root; K8S_NODES=2), or say it is already up
	$(K8S_TOOLS)/cluster up $(K8S_FLAGS) -nodes $(K8S_NODES)

.PHONY: k8s-down
k8s-down: k8s-tools ## Stop the cluster and check that nothing is left on the host
	$(K8S_TOOLS)/cluster down $(K8S_FLAGS)

.PHONY: k8s-status
k8s-status: k8s-tools ## Say whether the cluster is up (exit 0), down (3) or half up (1)
	@$(K8S_TOOLS)/cluster status $(K8S_FLAGS)

.PHONY: k8s-env
k8s-env: k8s-tools ## Print the KUBECONFIG, PATH and REGISTRY a shell needs to use the cluster (for eval)
	@$(K8S_TOOLS)/cluster env $(K8S_FLAGS)

# The dev loop on the test cluster: build the image from this tree for the node's platform,
# push it to the cluster's registry, apply the overlay pinned by its digest, wait for the
# rollout, stream the pods' logs, and do it again whenever a source of the product changes,
# until Ctrl-C. On a cluster of your own, run deploy/cmd/dev with its -registry and -kubectl.
K8S_DEV_OVERLAY   ?= dev
K8S_DEV_NAMESPACE ?= getsmall-dev

.PHONY: k8s-dev
k8s-dev: k8s-need-docker $(if $(filter 1,$(OFFLINE)),offline-bases) k8s-up ## Dev loop on the test cluster: build, push, apply, roll out, stream logs; again on every source change
	@cd deploy && go build -o ../$(K8S_TOOLS)/dev ./cmd/dev
	@KUBECONFIG=$(K8S_STATE)/kubeconfig/admin.kubeconfig DOCKER=$(DOCKER) $(K8S_TOOLS)/dev -root $(CURDIR) \
	  -registry 127.0.0.1:$(K8S_REGISTRY_PORT) -kubectl $(K8S_BIN)/kubectl -platform $(HOST_PLATFORM) \
	  -overlay $(K8S_DEV_OVERLAY) -namespace $(K8S_DEV_NAMESPACE)

# Checked before anything starts: the images come from Docker.
.PHONY: k8s-need-docker
k8s-need-docker:
	@$(call need-docker)

.PHONY: test-k8s
test-k8s: k8s-need-docker $(if $(filter 1,$(OFFLINE)),offline-bases) k8s-up ## Build and push the images, apply every overlay; roll, drain, lose a node and autoscale prod under load; scrape it with VictoriaMetrics
	$(MAKE) --no-print-directory docker-build docker-build-upx
	cd deploy && KUBECONFIG=$(K8S_STATE)/kubeconfig/admin.kubeconfig K8S_KUBECTL=$(K8S_BIN)/kubectl \
	  K8S_REGISTRY=127.0.0.1:$(K8S_REGISTRY_PORT) VERSION=$(VERSION) DOCKER=$(DOCKER) \
	  K8S_SHUTDOWN_DELAY=$(K8S_SHUTDOWN_DELAY) K8S_PRESTOP_SLEEP=$(K8S_PRESTOP_SLEEP) \
	  K8S_CLUSTER="$(abspath $(K8S_TOOLS))/cluster $(K8S_FLAGS)" OFFLINE=$(OFFLINE) \
	  go test -tags k8s -count=1 -v -timeout 40m $(if $(K8S_RUN),-run '$(K8S_RUN)') ./e2e/
