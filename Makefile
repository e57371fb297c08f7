# ossx — see README.md. `make demo` and `make test` are the quick start.
GO       ?= go
BIN      ?= bin
# Every cmd/ directory, the multi-call ossx (every tool in one binary) too.
TOOLS    := $(notdir $(wildcard cmd/*))
LDFLAGS  := -s -w
# urfave_cli_no_docs drops urfave/cli's ToMarkdown/ToMan (we write our own man
# page) and with them go-md2man and blackfriday: -316 KB per binary, and a
# 0.5 ms init at every start (BENCHMARKS.md).
# nethttpomithttp2 leaves net/http's HTTP/2 code out (−364 KB per binary):
# ossx's transport has its own DialContext, which turns HTTP/2 off anyway,
# and OSS speaks HTTP/1.1. urfave_cli_no_suggest drops the "did you mean"
# matcher (xrash/smetrics) that only App.Run uses, and the tools run
# through command.Run (−4 KB).
TAGS     := urfave_cli_no_docs,nethttpomithttp2,urfave_cli_no_suggest
# Packages compiled without inlining (-gcflags=PKG=-l): code that runs once
# per process, connection, request or syscall, never per byte, whose
# inlined copies and their inline-tree tables cost more bytes than the
# calls save time. −0.3 to −0.35 MB per binary (ossuploader 7,250,082 →
# 6,906,018 B with the credentials change), which issue 14's 7 MB target
# needs; crypto/tls and cryptobyte are 209 KB of it. Measured not slower
# (BENCHMARKS.md): TLS 1.3 handshakes (RSA-2048 and ECDSA P-256), 4 KiB
# and 64 MiB uploads, ossuploader -r, ossls, gtail --once. The hot code
# (runtime, crypto primitives and field arithmetic, hashes,
# bufio/bytes/strings/strconv, encoding/xml, compress/flate, internal/tail,
# ship, listing, upload, download, osslocal) keeps inlining. goreleaser.yaml lists the same flags
# (scripts/release-check compares), docs/install.md's go install line too.
NOINLINE := crypto/tls vendor/golang.org/x/crypto/cryptobyte crypto/x509 \
	crypto/elliptic crypto/internal/fips140/ecdsa math/big fmt time \
	encoding/json net net/http net/url net/textproto vendor/golang.org/x/net/idna \
	log/slog/... text/template/... regexp/... mime \
	github.com/aliyun/aliyun-oss-go-sdk/oss github.com/ossx/ossx/internal/app/... \
	github.com/ossx/ossx/internal/command github.com/ossx/ossx/internal/version
GCFLAGS  := $(foreach p,$(NOINLINE),-gcflags=$(p)=-l)
GOFLAGS_BUILD := -trimpath -tags $(TAGS) $(GCFLAGS) -ldflags "$(LDFLAGS)"

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
	OSSX_BIN=$(abspath $(BIN)) ./scripts/demo

bench: build ## benchmarks into BENCHMARKS.md
	./scripts/bench

# The long runs (OSSX_SOAK=1, tests named *Soak*). The logrotate soak
# (cmd/gtail/logrotate_soak_test.go, docs/gtail.md) runs the real logrotate:
# installed here when missing if we are root with apt-get, else that soak
# skips. It runs bin/gtail and writes its table to OSSX_SOAK_REPORT, shown
# at the end; OSSX_SOAK_DURATION (default 3m) sets its length.
OSSX_SOAK_REPORT ?= $(abspath $(BIN))/soak-logrotate.txt

soak: build ## long soak tests (up to an hour)
	@PATH="$$PATH:/usr/sbin:/sbin"; command -v logrotate >/dev/null || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "soak: installing logrotate (apt-get)"; \
		{ DEBIAN_FRONTEND=noninteractive apt-get install -y -q logrotate || \
		  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q logrotate; }; } >/dev/null || \
		echo "soak: logrotate could not be installed: the logrotate soak will skip"; \
	else \
		echo "soak: logrotate is not installed (apt-get install logrotate, as root): the logrotate soak will skip"; \
	fi
	@rm -f $(OSSX_SOAK_REPORT)
	OSSX_SOAK=1 OSSX_SOAK_REPORT=$(OSSX_SOAK_REPORT) OSSX_SOAK_GTAIL=$(abspath $(BIN))/gtail \
		$(GO) test -count=1 -timeout 60m -run Soak ./...; \
	status=$$?; if [ -f $(OSSX_SOAK_REPORT) ]; then cat $(OSSX_SOAK_REPORT); fi; exit $$status

# Not part of make test: a few minutes; results and known failures in
# docs/conformance.md.
conformance: ## aliyun-oss-go-sdk's own test suites against osslocal, V1 and V4
	./scripts/conformance

# Not part of make test: ossutil is not shipped with ossx; without OSSUTIL
# this says so and succeeds. About two minutes. docs/conformance.md.
conformance-ossutil: ## OSSUTIL=path: ossutil 1.x's commands against osslocal, V1 and V4
	./scripts/conformance-ossutil

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
