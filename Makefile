# ratelab — build, test and benchmark targets. `make help` lists them.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/ratelab/ratelab/internal/version.Version=$(VERSION)
GO ?= go
PYTHON ?= python3

.PHONY: help build test check bench fuzz examples sdk-check clean

help: ## list targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build bin/ratelab with the version stamped in
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/ratelab ./cmd/ratelab

test: ## run every test with the race detector
	$(GO) test -race ./...

check: ## gofmt, go vet, staticcheck (pinned in go.mod) and go mod tidy must leave nothing to change
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^vendor/') 2>&1); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@cp go.mod /tmp/ratelab-go.mod.bak; cp go.sum /tmp/ratelab-go.sum.bak; \
	 $(GO) mod tidy; \
	 if ! git diff --quiet -- go.mod go.sum; then echo "go mod tidy changed go.mod/go.sum:"; git --no-pager diff -- go.mod go.sum; \
	   cp /tmp/ratelab-go.mod.bak go.mod; cp /tmp/ratelab-go.sum.bak go.sum; exit 1; fi

bench: ## run the benchmarks and bench scripts, printing ratios against same-run baselines
	$(GO) test -run '^$$' -bench . -benchmem ./...
	@for s in bench/*.sh; do bash "$$s" || exit 1; done

examples: build ## gate the Python example pair with ratelab run: the seed-style loop must fail on its immediate retries, the fixed one pass with its retries exercised
	@echo "== examples/python/naive_sync.py must fail the seed-eu-identity gate on immediate_retries =="
	@out=$$(mktemp); ./bin/ratelab run --scenario seed-eu-identity --require-throttling -- $(PYTHON) examples/python/naive_sync.py >$$out 2>&1; \
	  code=$$?; cat $$out; \
	  if [ $$code -ne 1 ] || ! grep -q 'immediate_retries == 0 on .*: observed [1-9]' $$out; then rm -f $$out; \
	    echo "naive_sync.py: exit $$code, want 1 with a failed immediate_retries == 0 (it retries at once on Retry-After: 0)"; exit 1; fi; \
	  rm -f $$out
	@echo "== examples/python/fixed_sync.py must pass it, with 429s served so that its retries are tested =="
	./bin/ratelab run --scenario seed-eu-identity --require-throttling -- $(PYTHON) examples/python/fixed_sync.py

sdk-check: build ## compare the Go SDK and urllib3 (as the Python SDK sets it) with sdk-go and sdk-python; downloads the SDK, not in CI
	bash examples/sdkcheck/check.sh

# Each fuzzer runs for FUZZTIME; minimising a new interesting input is
# capped at FUZZMINIMIZE (the default, 60 s per input, left FuzzStream 6
# executions in a minute).
FUZZTIME ?= 30s
FUZZMINIMIZE ?= 5s

fuzz: ## run every fuzzer (each func Fuzz* in a _test.go) for FUZZTIME
	@set -e; for f in $$(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' | sort); do \
	  for fn in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$f"); do \
	    echo "== $$fn ($$f) =="; \
	    $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) "./$$(dirname "$$f")"; \
	  done; \
	done

clean:
	rm -rf bin
