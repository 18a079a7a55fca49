# The load-test study (loadtest/): make loadtest, loadtest-quick and loadtest-check.

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
# More flags for the study, e.g. LT_ARGS="-variant mine=/path/to/getsmall" to measure a build of yours.
LT_ARGS             ?=

# The load test's own tools: hey at the version go.mod's tool line pins, the net/http
# baseline built like getsmall, and the floppy build through the build-upx target.
.PHONY: loadtest-tools
loadtest-tools: build
	@go build -o $(BIN_DIR)/hey github.com/rakyll/hey || \
	  { echo "make $@: cannot build hey (go.mod pins github.com/rakyll/hey): is the Go module proxy reachable?" >&2; exit 1; }
	$(GO_BUILD) -o $(BIN_DIR)/nethttp ./loadtest/nethttp
ifeq ($(LT_FLOPPY),1)
	@$(MAKE) --no-print-directory build-upx FLOPPY=1 UPX_FLAGS=--lzma
endif

LOADTEST = go run ./loadtest/cmd/loadtest -getsmall $(BIN) -nethttp $(BIN_DIR)/nethttp -hey $(BIN_DIR)/hey \
  -upx-levels "$(UPX_LEVELS)" -requests $(LT_REQUESTS) $(if $(LT_DURATION),-duration $(LT_DURATION)) \
  -warmup $(LT_WARMUP) -concurrency $(LT_CONCURRENCY) -rounds $(LT_ROUNDS) -retries $(LT_RETRIES) \
  -min-clean $(LT_MIN_CLEAN) -disturbed-below $(LT_DISTURBED_BELOW) -far-factor $(LT_FAR_FACTOR) -quiet-wait $(LT_QUIET_WAIT) \
  -quiet-budget $(LT_QUIET_BUDGET) \
  -cold-runs $(LT_COLD_RUNS) -healthcheck-runs $(LT_HEALTHCHECK_RUNS) -wrk-duration $(LT_WRK_DURATION) \
  $(if $(filter 1,$(LT_STRACE)),-strace $(LT_STRACE_REQUESTS)) \
  $(if $(filter 1,$(LT_FLOPPY)),-variant getsmall-floppy=$(BIN_DIR)/getsmall-floppy-upx) \
  -pin=$(if $(filter 1,$(LT_PIN)),true,false) -port $(LT_PORT) -out loadtest/results $(LT_ARGS)

.PHONY: loadtest
loadtest: loadtest-tools ## Measure size, cold start, RSS, healthcheck cost and throughput in rounds (wrk, hey, net/http, nginx)
	$(LOADTEST)

.PHONY: loadtest-quick
loadtest-quick: ## The same study, small and fast (about two minutes)
	@$(MAKE) --no-print-directory loadtest UPX_LEVELS=--lzma LT_REQUESTS=20000 LT_DURATION= LT_WARMUP=2000 \
	  LT_ROUNDS=3 LT_RETRIES=4 LT_COLD_RUNS=20 LT_HEALTHCHECK_RUNS=10 LT_WRK_DURATION=1s

.PHONY: loadtest-check
loadtest-check: ## Verify the latest results: every variant, no errors, enough undisturbed runs, plain starts faster than --lzma
	go run ./loadtest/cmd/loadtest check $(if $(filter-out 0,$(LT_MIN_CLEAN)),-min-clean $(LT_MIN_CLEAN)) loadtest/results/latest
