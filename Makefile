# sessionkit — every target installs what it needs or says clearly what is missing.
# `make test` is what CI runs (.ci/run); `make demo` shows the whole session lifecycle.

GO        ?= go
GOTEST    ?= $(GO) test
BENCHTIME ?= 1s
BENCHCOUNT ?= 6
FUZZTIME  ?= 30s
STATICCHECK_VERSION ?= v0.8.2

.PHONY: all demo web test test-upstream unit bench lint fuzz setup setup-browser tools postgres

all: lint test

## demo: the whole session lifecycle on an embedded local cluster (the README's first command).
DEMO_FLAGS ?=
demo:
	$(GO) run ./cmd/sessionkit demo $(DEMO_FLAGS)

## web: the browser demo (package sessionweb) on an embedded local cluster; prints the URL.
WEB_FLAGS ?=
web:
	$(GO) run ./cmd/sessionkit web $(WEB_FLAGS)

## test: everything CI runs — launcher deps, headless chromium, program rebuild check, the whole suite with -race.
test: setup setup-browser postgres programs-check
	$(GOTEST) -race -count=1 -timeout 20m ./...

## unit: the suite without the embedded runtime (integration tests skip when CI is unset).
unit:
	SESSIONKIT_LOCALNET=off $(GOTEST) -race -count=1 ./...

## bench: benchstat-friendly benchmarks of every package (see docs/benchmarks.md).
bench:
	$(GOTEST) -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) -count=$(BENCHCOUNT) ./...

## lint: gofmt, go vet and staticcheck (installed from the Go proxy when missing).
lint: tools
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	"$$($(GO) env GOPATH)/bin/staticcheck" ./...

tools:
	@test -x "$$($(GO) env GOPATH)/bin/staticcheck" || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## fuzz: run every fuzz target for FUZZTIME each.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GOTEST) -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GOTEST) -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done

## setup: install the embedded runtime's npm packages (npm ci from the committed lockfile).
# Without node, integration tests skip outside CI (and fail in CI), so only CI stops here.
setup:
	@if command -v node >/dev/null && command -v npm >/dev/null; then $(GO) run ./localnet/cmd/setup; \
	elif [ -n "$$CI" ]; then echo "setup: node/npm missing: install Node.js 20+ (Debian: apt-get install -y nodejs npm)" >&2; exit 1; \
	else echo "setup: node/npm missing: integration tests will be skipped; install Node.js 20+ (Debian: apt-get install -y nodejs npm)" >&2; fi

## postgres: make PostgreSQL answer on 127.0.0.1:5432 with a database test (starting or
## installing Debian's postgresql if needed), for the TestPostgres… and TestReplicas… tests.
# .ci/run runs it before make test; under CI a missing server fails those tests.
postgres:
	.ci/postgres

## setup-browser: Debian's chromium for the TestBrowser… tests (sessionweb, driven by chromedp).
# Installed with apt-get when missing (as root, or with sudo); under CI a failed install stops
# here, since those tests fail rather than skip there.
setup-browser:
	@if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then :; \
	elif command -v apt-get >/dev/null; then \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get install -y chromium || { $$SUDO apt-get update && $$SUDO apt-get install -y chromium; } || \
	  { if [ -n "$$CI" ]; then echo "setup-browser: could not install chromium" >&2; exit 1; \
	    else echo "setup-browser: chromium missing: the TestBrowser tests will be skipped" >&2; fi; }; \
	elif [ -n "$$CI" ]; then echo "setup-browser: chromium missing: install Debian's chromium (apt-get install -y chromium)" >&2; exit 1; \
	else echo "setup-browser: chromium missing: the TestBrowser tests will be skipped; apt-get install -y chromium" >&2; fi

# make programs / programs-check / sbfld-fixtures: C programs built with clang + sbfld.
include program/build.mk

## test-upstream: the whole suite against another session-keys build, e.g.
##   make test-upstream SO=path/to/session_keys.so [SESSION_ID=<program id it was built for>]
## Tests of instructions the build lacks skip, naming the instruction (never in CI).
test-upstream: setup
	@test -n "$(SO)" || { echo "test-upstream: give the build: make test-upstream SO=path/to/session_keys.so" >&2; exit 2; }
	@test -f "$(SO)" || { echo "test-upstream: $(SO): no such file" >&2; exit 2; }
	SESSIONKIT_SESSION_ELF="$(abspath $(SO))" SESSIONKIT_SESSION_ID="$(SESSION_ID)" $(GOTEST) -count=1 -timeout 20m ./...
