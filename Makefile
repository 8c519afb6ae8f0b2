# ratelab — build, test and benchmark targets. `make help` lists them.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/ratelab/ratelab/internal/version.Version=$(VERSION)
GO ?= go

.PHONY: help build test check bench fuzz clean

help: ## list targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build bin/ratelab with the version stamped in
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/ratelab ./cmd/ratelab

test: ## run every test with the race detector
	$(GO) test -race ./...

check: ## gofmt, go vet and go mod tidy must leave nothing to change
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^vendor/') 2>&1); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@cp go.mod /tmp/ratelab-go.mod.bak; cp go.sum /tmp/ratelab-go.sum.bak; \
	 $(GO) mod tidy; \
	 if ! git diff --quiet -- go.mod go.sum; then echo "go mod tidy changed go.mod/go.sum:"; git --no-pager diff -- go.mod go.sum; \
	   cp /tmp/ratelab-go.mod.bak go.mod; cp /tmp/ratelab-go.sum.bak go.sum; exit 1; fi

bench: ## run the benchmarks and bench scripts, printing ratios against same-run baselines
	$(GO) test -run '^$$' -bench . -benchmem ./...
	@for s in bench/*.sh; do bash "$$s" || exit 1; done

fuzz: ## fuzz each parser of outside input for 20s
	$(GO) test -run '^$$' -fuzz FuzzLoad -fuzztime 20s ./scenarios

clean:
	rm -rf bin
