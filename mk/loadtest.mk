# The load-test study (loadtest/): make loadtest, loadtest-quick and loadtest-check.

# loadtest-quick overrides these with small values.
UPX_LEVELS          ?= --best --lzma
LT_REQUESTS         ?= 200000
LT_DURATION         ?=
LT_WARMUP           ?= 20000
LT_CONCURRENCY      ?= 50
LT_RUNS             ?= 3
LT_COLD_RUNS        ?= 30
LT_HEALTHCHECK_RUNS ?= 20
LT_WRK_DURATION     ?= 5s
LT_PIN              ?= 1
LT_PORT             ?= 18080

.PHONY: loadtest-tools
loadtest-tools: build
	@go build -o $(BIN_DIR)/hey github.com/rakyll/hey || \
	  { echo "make $@: cannot build hey (go.mod pins github.com/rakyll/hey): is the Go module proxy reachable?" >&2; exit 1; }
	$(GO_BUILD) -o $(BIN_DIR)/nethttp ./loadtest/nethttp

LOADTEST = go run ./loadtest/cmd/loadtest -getsmall $(BIN) -nethttp $(BIN_DIR)/nethttp -hey $(BIN_DIR)/hey \
  -upx-levels "$(UPX_LEVELS)" -requests $(LT_REQUESTS) $(if $(LT_DURATION),-duration $(LT_DURATION)) \
  -warmup $(LT_WARMUP) -concurrency $(LT_CONCURRENCY) -runs $(LT_RUNS) -cold-runs $(LT_COLD_RUNS) \
  -healthcheck-runs $(LT_HEALTHCHECK_RUNS) -wrk-duration $(LT_WRK_DURATION) \
  -pin=$(if $(filter 1,$(LT_PIN)),true,false) -port $(LT_PORT) -out loadtest/results

.PHONY: loadtest
loadtest: loadtest-tools ## Measure size, cold start, RSS, healthcheck cost and throughput (hey, wrk, net/http, nginx)
	$(LOADTEST)

.PHONY: loadtest-quick
loadtest-quick: ## The same study, small and fast (about a minute)
	@$(MAKE) --no-print-directory loadtest UPX_LEVELS=--lzma LT_REQUESTS=20000 LT_DURATION= LT_WARMUP=2000 \
	  LT_COLD_RUNS=20 LT_HEALTHCHECK_RUNS=10 LT_WRK_DURATION=1s

.PHONY: loadtest-check
loadtest-check: ## Verify the latest results: every variant, no errors, plain starts faster than --lzma
	go run ./loadtest/cmd/loadtest check loadtest/results/latest
