# The project's commands. `make serve` and `make test` set up whatever is missing first.
SHELL := /bin/bash
SWIFT_FLAGS := -c release -Xswiftc -enable-testing
BIN := .build/release/switchyard
VENV := .venv
APT_PACKAGES := libnghttp2-dev libssl-dev nghttp2-client nghttp2-server curl python3-venv openssl libsqlite3-dev prometheus chromium
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: setup apt venv model build serve test bench loadtest

setup: apt venv model build

# Installs only what is missing, so it is quick (and needs no network) on a ready machine.
apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: Tests/python/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r Tests/python/requirements.txt
	touch $@

model:
	python3 Models/fetch.py

build:
	swift build $(SWIFT_FLAGS) --build-tests

serve: setup
	$(BIN) serve --host $(HOST) --port $(PORT) --model Models/smollm2/1

# Tests run in three passes. The kernel and model-runtime suites compute for minutes inside
# synchronous tests, holding Swift's cooperative threads (two on two cores); beside them the
# gateway suites saw their async work stall for up to a minute. So: those suites first, then
# the rest in parallel, then the suites that time live traffic (load generator, overload,
# canary rollback, swap and replica-by-replica replacement under load) or validate the real
# model behind a latency smoke limit (the shipped golden prompts, default sampling, routing
# span) one at a time.
COMPUTE_SUITES := DecodeKernelsTests|ModelRuntimeTests
TIMED_SUITES := ShippedModelTests|LoadGenerationTests|ReplicaOverloadTests|AdminAPITests|ModelSwapTests|ModelReplaceTests|DefaultSamplingTests|RoutingSpanTests
SWIFT_TEST := SWITCHYARD_PYTHON=$(CURDIR)/$(VENV)/bin/python swift test $(SWIFT_FLAGS) --skip-build

test: setup
	Scripts/check-imports.sh
	$(SWIFT_TEST) --filter '$(COMPUTE_SUITES)'
	$(SWIFT_TEST) --skip '$(COMPUTE_SUITES)|$(TIMED_SUITES)'
	$(SWIFT_TEST) --filter '$(TIMED_SUITES)' --no-parallel

# Every benchmark; `bench runtime` and `bench batching` compare with llama.cpp when
# LLAMA_CPP_BIN names the directory holding llama-bench, llama-batched-bench and
# llama-server (built outside the repository).
bench: setup
	$(BIN) bench kernels
	$(BIN) bench attention
	$(BIN) bench runtime
	$(BIN) bench http
	$(BIN) bench routing
	$(BIN) bench batching
	$(BIN) bench telemetry

# A load-test scenario (LoadTests/scenarios/NAME.json) against a gateway started and stopped
# for it; prints the table and writes the JSON and HTML reports under .build/loadtest/.
# smoke uses the echo model; the others serve Models/smollm2/1, fetched first. Only the two
# executables are built (same flags as `build`, so `make test` reuses them).
SCENARIO ?= smoke
loadtest: apt $(if $(filter smoke,$(SCENARIO)),,model)
	swift build $(SWIFT_FLAGS) --product switchyard
	swift build $(SWIFT_FLAGS) --product switchyard-load
	LoadTests/run-scenario.sh $(SCENARIO)
