# ossx — see README.md. `make demo` and `make test` are the quick start.
GO       ?= go
BIN      ?= bin
TOOLS    := $(notdir $(wildcard cmd/*))
LDFLAGS  := -s -w
# urfave_cli_no_docs drops urfave/cli's ToMarkdown/ToMan (we write our own man
# page) and with them go-md2man and blackfriday: -316 KB per binary, and a
# 0.5 ms init at every start (BENCHMARKS.md).
GOFLAGS_BUILD := -trimpath -tags urfave_cli_no_docs -ldflags "$(LDFLAGS)"

.PHONY: all help build test demo bench soak lint clean $(TOOLS)

all: build

help: ## list the targets
	@awk -F ':.*## ' '/^[a-z-]+:.*## / { printf "  make %-14s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

build: $(TOOLS) ## build every tool into bin/

$(TOOLS):
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $(BIN)/$@ ./cmd/$@

# What CI runs (.ci/run). Whole-process and unit tests against osslocal.
test: ## go vet and every test (what CI runs)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

demo: build ## a guided tour against a local osslocal
	./scripts/demo

bench: build ## benchmarks into BENCHMARKS.md
	./scripts/bench

soak: build ## long soak tests (up to an hour)
	OSSX_SOAK=1 $(GO) test -count=1 -timeout 60m -run Soak ./...

# Not part of make test: a few minutes; results and known failures in
# docs/conformance.md.
conformance: ## aliyun-oss-go-sdk's own test suites against osslocal, V1 and V4
	./scripts/conformance

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

clean: ## remove bin/ and dist/
	rm -rf $(BIN) dist

# goreleaser check, a linux/amd64 snapshot, static + --version checks of its
# binaries, install.sh against it (RELEASE_CHECK_FULL=1: every platform).
.PHONY: release-check
release-check: ## goreleaser check, snapshot build, install.sh test
	./scripts/release-check
