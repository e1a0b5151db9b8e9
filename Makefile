# Regio: `make run` and `make test` are the two set-up commands; every target installs what it
# needs when it is missing or at the wrong version, and does nothing more when it is there.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

CARGO_LEPTOS_VERSION := 0.3.10
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
STRIPE_PYTHON_VERSION := 16.1.0
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

SSR := --no-default-features --features ssr
REGIO := target/debug/regio
export LEPTOS_SITE_ROOT := target/site
# cargo-leptos compiles with this set; `cargo test` sets it too so both share one build.
export LEPTOS_OUTPUT_NAME := regio

.PHONY: run test build tools rust-tools system-tools e2e-tools unit-and-integration e2e conformance postgres-check clean-data bench

## Start Regio in demo mode on SQLite (data/regio.db) and print the URL and a login.
run: build
	REGIO_DEMO=1 $(REGIO) serve

## Every test: unit and integration on SQLite and PostgreSQL, the browser suite, Stripe conformance.
test: tools postgres-check unit-and-integration build e2e conformance

build: rust-tools
	cargo leptos build

tools: rust-tools system-tools e2e-tools

rust-tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@cargo leptos --version 2>/dev/null | grep -q " $(CARGO_LEPTOS_VERSION)" \
		|| cargo install cargo-leptos@$(CARGO_LEPTOS_VERSION) --locked --features no_downloads
	@wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)" \
		|| cargo install wasm-bindgen-cli@$(WASM_BINDGEN_VERSION)

system-tools:
	@command -v chromium >/dev/null && command -v wasm-opt >/dev/null \
		|| { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium binaryen; }

e2e-tools:
	@cd end2end && { [ -f node_modules/.package-lock.json ] && cmp -s package-lock.json node_modules/.lock-installed; } \
		|| { npm ci --no-audit --no-fund && cp package-lock.json node_modules/.lock-installed; }
	@end2end/.venv/bin/python -c "import stripe, sys; sys.exit(stripe.VERSION != '$(STRIPE_PYTHON_VERSION)')" 2>/dev/null \
		|| { python3 -m venv end2end/.venv && end2end/.venv/bin/pip install --quiet stripe==$(STRIPE_PYTHON_VERSION); }

postgres-check:
	@if [ "$${REGIO_SKIP_POSTGRES:-0}" = 1 ]; then echo "REGIO_SKIP_POSTGRES=1: PostgreSQL tests are skipped"; \
	elif ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then \
		echo "PostgreSQL is not reachable on 127.0.0.1:5432: the tests need it (or set REGIO_SKIP_POSTGRES=1 on a machine without it)."; exit 1; fi

## REGIO_SKIP_POSTGRES=1 leaves out every test named `…::postgres`: counted as filtered out, never as passed.
unit-and-integration:
	cargo test $(SSR)$(if $(filter 1,$(REGIO_SKIP_POSTGRES)), -- --skip ::postgres)

## Browser tests: Playwright drives Debian's Chromium against a freshly started demo Regio.
e2e:
	cd end2end && npx playwright test

## Stripe's own Python SDK (stripe==$(STRIPE_PYTHON_VERSION)) against a freshly started emulator.
conformance:
	@port=$$((20000 + RANDOM % 20000)); \
	$(REGIO) stripe-emulator --addr 127.0.0.1:$$port > /dev/null & pid=$$!; \
	trap "kill $$pid 2>/dev/null" EXIT; \
	for i in $$(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$$port) 2>/dev/null && break; sleep 0.1; done; \
	end2end/.venv/bin/python end2end/stripe_conformance.py http://127.0.0.1:$$port

## Throughput figures for the README (release build).
bench:
	cargo run --release $(SSR) -- bench ingest --rows 100000 --postgres postgres://postgres@127.0.0.1:5432/postgres
	cargo run --release $(SSR) -- bench mirror --rows 2000 --rate 100

clean-data:
	rm -rf data
