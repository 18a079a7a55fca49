# Holding the memory model: the soak, the fuzzer, and the measurement the model comes from.

# make soak stops at whichever bound comes first; CI passes small ones.
SOAK_REQUESTS ?= 5000000
SOAK_DURATION ?= 10m
FUZZTIME      ?= 1m

.PHONY: soak
soak: build ## Soak bin/getsmall with millions of mixed requests; memory, goroutines and fds must settle (SOAK_REQUESTS, SOAK_DURATION)
	go run ./loadtest/cmd/soak run -getsmall $(BIN) -requests $(SOAK_REQUESTS) -duration $(SOAK_DURATION) -out loadtest/results/soak

.PHONY: fuzz
fuzz: ## Fuzz the server with raw bytes for FUZZTIME (1m); a failing input is saved under server/testdata/fuzz
	go test -run '^$$' -fuzz '^FuzzServe$$' -fuzztime $(FUZZTIME) ./server

.PHONY: memcost
memcost: build-upx docker-build docker-build-upx ## Measure what a connection costs in each state, as a process and in both images at 16 MiB
	go run ./loadtest/cmd/soak memcost -getsmall $(BIN) -getsmall-upx $(BIN_UPX) -tag $(VERSION) -docker $(DOCKER) \
	  -out loadtest/results/memcost
