# The load test, the soak and the memory-cost study (loadtest/, a module of its own): make
# loadtest, loadtest-quick, loadtest-check, soak, memcost and test-loadtest. Pulled in by the
# root Makefile when this folder exists; it uses the product's build (BIN, GO_BUILD) and
# image targets, and the product uses nothing from here.

# Every go command of this module runs in loadtest/ (go -C), so paths given to it are absolute.
LT_GO := go -C loadtest
LT_RESULTS := $(CURDIR)/loadtest/results

# loadtest-quick overrides these with small values.
UPX_LEVELS          ?= --best --lzma
LT_REQUESTS         ?= 50000
LT_DURATION         ?=
LT_WARMUP           ?= 20000
LT_CONCURRENCY      ?= 50
LT_ROUNDS           ?= 9
LT_RETRIES          ?= 2
# Clean runs per server and tool that loadtest-check requires; 0: a majority of the rounds.
LT_MIN_CLEAN        ?= 0
LT_DISTURBED_BELOW  ?= 0.9
# A run is also disturbed when a cache-line round trip between the two CPUs took this many times
# the study's typical near one, the lower quartile of every probe (the host placed them apart); 0 turns the probe's verdict off.
LT_FAR_FACTOR       ?= 2
# Before each run the study waits up to LT_QUIET_WAIT, and LT_QUIET_BUDGET in all, for idle CPUs.
LT_QUIET_WAIT       ?= 10s
LT_QUIET_BUDGET     ?= 3m
LT_COLD_RUNS        ?= 30
LT_HEALTHCHECK_RUNS ?= 20
LT_WRK_DURATION     ?= 3s
LT_PIN              ?= 1
LT_PORT             ?= 18080
# LT_STRACE=1 adds the pass that counts system calls per request (strace from Debian).
LT_STRACE           ?=
LT_STRACE_REQUESTS  ?= 20000
# LT_FLOPPY=1 measures the floppy build (FLOPPY=1 UPX_FLAGS=--lzma) as getsmall-floppy; it
# needs upx, so it is off when UPX_LEVELS is empty.
LT_FLOPPY           ?= $(if $(strip $(UPX_LEVELS)),1,0)
# The open-loop phase: every server at these percentages of nginx's measured maximum, for
# LT_OPEN_DURATION per rate, in LT_OPEN_ROUNDS interleaved rounds (0: skip it).
LT_OPEN_PERCENTS    ?= 25 50 75 90
LT_OPEN_ROUNDS      ?= 3
LT_OPEN_DURATION    ?= 3s
# Starts of each Go server with GODEBUG=inittrace=1: where start-up goes before main.
LT_INIT_RUNS        ?= 5
# LT_BEFORE=/path/to/an/older/getsmall measures that binary as getsmall-before in the same
# rounds: a before/after comparison from one run.
LT_BEFORE           ?=
# LT_LOG=1 measures getsmall-log: the plain binary with LOG_REQUESTS=1 (an access-log line
# per request on stdout, which the study sends to /dev/null). Binaries without the flag
# ignore it and measure as getsmall does.
LT_LOG              ?= 1
# More flags for the study, e.g. LT_ARGS="-variant mine=/path/to/getsmall" to measure a build of yours.
LT_ARGS             ?=

# The load test's own tools: hey at the version the root go.mod's tool line pins (the one
# tool the product's go.mod names: `go tool hey` works in any fork), the peers (net/http,
# bare fasthttp, nbio) built like getsmall, the fixed-rate generator, and the floppy build
# through the build-upx target.
LT_PEERS := nethttp fasthttp nbio

.PHONY: loadtest-peers
loadtest-peers:
	cd loadtest && $(GO_BUILD) -o $(abspath $(BIN_DIR))/ $(addprefix ./,$(LT_PEERS)) ./cmd/openloop

.PHONY: loadtest-tools
loadtest-tools: build loadtest-peers
	@go build -o $(BIN_DIR)/hey github.com/rakyll/hey || \
	  { echo "make $@: cannot build hey (go.mod pins github.com/rakyll/hey): is the Go module proxy reachable?" >&2; exit 1; }
ifeq ($(LT_FLOPPY),1)
	@$(MAKE) --no-print-directory build-upx FLOPPY=1 UPX_FLAGS=--lzma
endif

LOADTEST = $(LT_GO) run ./cmd/loadtest -getsmall $(abspath $(BIN)) -hey $(abspath $(BIN_DIR))/hey \
  $(foreach p,$(LT_PEERS),-$(p) $(abspath $(BIN_DIR))/$(p)) -openloop $(abspath $(BIN_DIR))/openloop \
  -open-percents "$(LT_OPEN_PERCENTS)" -open-rounds $(LT_OPEN_ROUNDS) -open-duration $(LT_OPEN_DURATION) -init-runs $(LT_INIT_RUNS) \
  -log=$(if $(filter 1,$(LT_LOG)),true,false) $(if $(LT_BEFORE),-variant $(NAME_BASE)-before=$(abspath $(LT_BEFORE))) \
  -upx-levels "$(UPX_LEVELS)" -requests $(LT_REQUESTS) $(if $(LT_DURATION),-duration $(LT_DURATION)) \
  -warmup $(LT_WARMUP) -concurrency $(LT_CONCURRENCY) -rounds $(LT_ROUNDS) -retries $(LT_RETRIES) \
  -min-clean $(LT_MIN_CLEAN) -disturbed-below $(LT_DISTURBED_BELOW) -far-factor $(LT_FAR_FACTOR) -quiet-wait $(LT_QUIET_WAIT) \
  -quiet-budget $(LT_QUIET_BUDGET) \
  -cold-runs $(LT_COLD_RUNS) -healthcheck-runs $(LT_HEALTHCHECK_RUNS) -wrk-duration $(LT_WRK_DURATION) \
  $(if $(filter 1,$(LT_STRACE)),-strace $(LT_STRACE_REQUESTS)) \
  $(if $(filter 1,$(LT_FLOPPY)),-variant $(NAME_BASE)-floppy=$(abspath $(BIN_DIR))/$(NAME_BASE)-floppy-upx) \
  -pin=$(if $(filter 1,$(LT_PIN)),true,false) -port $(LT_PORT) -out $(LT_RESULTS) $(LT_ARGS)

.PHONY: loadtest
loadtest: loadtest-tools ## Measure size, cold start, RSS, healthcheck cost, throughput in rounds and tail latency at fixed rates, against net/http, bare fasthttp, nbio and nginx
	$(LOADTEST)

.PHONY: loadtest-quick
loadtest-quick: ## The same study, small and fast (about three minutes)
	@$(MAKE) --no-print-directory loadtest UPX_LEVELS=--lzma LT_REQUESTS=20000 LT_DURATION= LT_WARMUP=2000 \
	  LT_ROUNDS=3 LT_RETRIES=4 LT_COLD_RUNS=20 LT_HEALTHCHECK_RUNS=10 LT_WRK_DURATION=1s \
	  LT_OPEN_ROUNDS=1 LT_OPEN_DURATION=1s LT_INIT_RUNS=3

.PHONY: loadtest-check
loadtest-check: ## Verify the latest results: every variant and rate, no errors, enough undisturbed runs, cold starts within budgets.txt's ratios to net/http
	$(LT_GO) run ./cmd/loadtest check -budgets $(CURDIR)/budgets.txt $(if $(filter-out 0,$(LT_MIN_CLEAN)),-min-clean $(LT_MIN_CLEAN)) $(LT_RESULTS)/latest

# Holding the memory model: the soak, and the measurement the model comes from (make fuzz,
# the server's own fuzzer, is the product's: mk/build.mk).

# make soak stops at whichever bound comes first; CI passes small ones.
SOAK_REQUESTS ?= 5000000
SOAK_DURATION ?= 10m

.PHONY: soak
soak: build ## Soak bin/getsmall with millions of mixed requests; memory, goroutines and fds must settle (SOAK_REQUESTS, SOAK_DURATION)
	$(LT_GO) run ./cmd/soak run -getsmall $(abspath $(BIN)) -requests $(SOAK_REQUESTS) -duration $(SOAK_DURATION) -out $(LT_RESULTS)/soak

# make memcost and memcost-idle: getsmall beside its peers (net/http, bare fasthttp, nbio,
# nginx with one worker, and LT_BEFORE when set), each on one core holding MEMCOST_CONNS idle
# keep-alive connections; memcost adds getsmall's connection states as a process and in
# both images.
MEMCOST_CONNS ?= 10000
MEMCOST = $(LT_GO) run ./cmd/soak memcost -getsmall $(abspath $(BIN)) -idle-conns $(MEMCOST_CONNS) \
  $(foreach p,$(LT_PEERS),-$(p) $(abspath $(BIN_DIR))/$(p)) $(if $(LT_BEFORE),-before $(abspath $(LT_BEFORE))) -out $(LT_RESULTS)/memcost

.PHONY: memcost
memcost: build-upx docker-build docker-build-upx loadtest-peers ## Measure KiB per idle connection beside net/http, fasthttp, nbio and nginx, and each connection state as a process and in both images
	$(MEMCOST) -getsmall-upx $(abspath $(BIN_UPX)) -tag $(VERSION) -docker $(DOCKER) -repo $(CURDIR)

.PHONY: memcost-idle
memcost-idle: build loadtest-peers ## Only the side-by-side: KiB per idle keep-alive connection for getsmall, net/http, fasthttp, nbio and nginx (no Docker)
	$(MEMCOST) -shapes=false

.PHONY: test-loadtest
test-loadtest: ## Run the load-test module's own tests (parsers, report, statistics, generator, peers, soak shapes; Linux)
	$(LT_GO) test -count=1 ./...

# What a device pays for a socket-activated start (packaging/'s getsmall.socket): the first
# connection's answer, with the binary started by systemd-socket-activate, for the plain
# build, UPX --best and --lzma, and the floppy build.
LT_ACTIVATION_RUNS ?= 20
LT_ACTIVATE        ?= systemd-socket-activate

.PHONY: loadtest-activation
loadtest-activation: build ## First answer through socket activation: plain, UPX --best and --lzma, floppy (systemd-socket-activate)
	@$(call need,upx,$(UPX_HINT))
	@$(call need,$(LT_ACTIVATE),apt-get install systemd (it ships systemd-socket-activate))
	@$(MAKE) --no-print-directory build-upx FLOPPY=1 UPX_FLAGS=--lzma >/dev/null
	@for level in best lzma; do out=$(BIN_DIR)/$(NAME_BASE)-upx-$$level; \
	  [ "$$out" -nt $(BIN) ] || { rm -f "$$out" && upx -q --$$level -o "$$out" $(BIN) >/dev/null; } || exit 1; done
	@$(LT_GO) build -o $(abspath $(BIN_DIR))/sockact ./cmd/sockact
	$(BIN_DIR)/sockact -runs $(LT_ACTIVATION_RUNS) -activate $(LT_ACTIVATE) $(NAME_BASE)=$(BIN) \
	  $(NAME_BASE)-upx-best=$(BIN_DIR)/$(NAME_BASE)-upx-best $(NAME_BASE)-upx-lzma=$(BIN_DIR)/$(NAME_BASE)-upx-lzma \
	  $(NAME_BASE)-floppy-upx=$(BIN_DIR)/$(NAME_BASE)-floppy-upx
