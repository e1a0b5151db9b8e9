# Regio: `make run` and `make test` are the two set-up commands; every target installs what it
# needs when it is missing or at the wrong version, and does nothing more when it is there.
#
# The site is built without cargo-leptos (which takes 20 minutes to compile on a fresh 2-core
# machine): `cargo build` for the server, `cargo build --lib` of the `hydrate` feature for
# wasm32, `wasm-bindgen` and `wasm-opt`, then the stylesheet and public files copied beside it.
# That is what cargo-leptos does; `make watch` installs it for live reload only.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

CARGO_LEPTOS_VERSION := 0.3.10
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
STRIPE_PYTHON_VERSION := 16.1.0
# Binaryen from npm: Debian's wasm-opt 108 breaks the function tables wasm-bindgen 0.2.130 emits
# (the page fails to hydrate with "WebAssembly.Table.set(): Argument 1 is invalid").
BINARYEN_VERSION := 132.0.0
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

SSR := --no-default-features --features ssr
HYDRATE := --no-default-features --features hydrate --lib --target wasm32-unknown-unknown
# Cargo's output folder (CARGO_TARGET_DIR when set).
TARGET := $(or $(CARGO_TARGET_DIR),target)
WASM_DIR := $(TARGET)/wasm32-unknown-unknown/wasm-release
# The server compiled with LEPTOS_OUTPUT_NAME set looks for pkg/regio.js and pkg/regio.wasm.
export LEPTOS_OUTPUT_NAME := regio
# What `make run` and the browser tests serve: the release server and the optimized bundle.
SITE := $(TARGET)/site
export REGIO := $(TARGET)/release/regio
export LEPTOS_SITE_ROOT := $(SITE)
RELEASE_DIR := $(TARGET)/regio-release
WASM_OPT := $(TARGET)/tools/node_modules/.bin/wasm-opt

.PHONY: run demo-server test lint-browser-then-test build site server tools rust-tools build-tools browser-tools e2e-tools lint unit-and-integration e2e \
	release release-check conformance postgres-check clean-data bench watch

## Start Regio in demo mode on SQLite (data/regio.db) and print the URL and a login. The demo
## server is built in the dev profile (about 4 minutes from a fresh clone, against 10 for the
## optimized one); the browser still gets the optimized bundle.
run: rust-tools build-tools
	@echo "building the demo server and the browser bundle at once (each one's output shows when it is done)"
	$(MAKE) --no-print-directory -j2 --output-sync=target site demo-server
	REGIO_DEMO=1 $(TARGET)/debug/regio serve

demo-server:
	$(CARGO) build $(SSR)

## Every test: lints, unit and integration on SQLite and PostgreSQL, the browser suite against the
## release build, the release directory started from scratch, Stripe conformance.
##
## The three builds run at once (make -j3): each has its own profile folder (target/debug,
## target/release, target/wasm-release), which cargo locks apart, and on two cores one build's
## single-threaded stretches (the crate's own front end, the bundle's LTO, wasm-opt) leave a core
## another fills; the tests start as soon as theirs is built. With LINT=1 the tests' build is
## compiled by clippy-driver (rustc with Clippy's lints), so it lints every server-side target as
## it compiles instead of `cargo clippy` checking every dependency again. The optimized server and
## bundle are built by plain rustc, as `make release` builds them: clippy-driver turns MIR
## optimizations off, and its bundle differed (631,516 bytes brotli against 629,927).
test: tools postgres-check
	cargo fmt --check
	@echo "building the tests, the release server and the browser bundle at once; each one's output shows when it is done"
	$(MAKE) --no-print-directory -j3 --output-sync=target LINT=1 lint-browser-then-test server site
	$(MAKE) --no-print-directory e2e release-check conformance

## Clippy on the browser half (a check build beside the bundle's), then the tests: both take
## target/debug's lock, so they go one after the other.
lint-browser-then-test:
	$(CARGO) clippy $(HYDRATE) -- -D warnings
	$(MAKE) --no-print-directory unit-and-integration

## The builds above run under make -j, whose jobserver pipes reach sub-makes only: cargo would
## find them named in MAKEFLAGS, closed, and warn. It counts its own jobs.
CARGO := env -u MAKEFLAGS -u MFLAGS cargo

## `cargo clippy -- -D warnings` hands its arguments to clippy-driver in CLIPPY_ARGS, each followed
## by this separator; the workspace wrapper applies it to Regio's code only.
LINTING := $(if $(filter 1,$(LINT)),RUSTC_WORKSPACE_WRAPPER=clippy-driver CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__)

build: server site

server: rust-tools
	$(CARGO) build --release $(SSR)

## The browser bundle: the wasm-release profile (opt-level z, LTO), wasm-bindgen, then wasm-opt -Oz
## (a minute: skipped while the bundle is newer than what cargo linked).
site: rust-tools build-tools
	$(CARGO) build --profile wasm-release $(HYDRATE)
	if [ ! $(SITE)/pkg/regio.wasm -nt $(WASM_DIR)/regio.wasm ]; then \
		rm -rf $(SITE) && mkdir -p $(SITE)/pkg; \
		wasm-bindgen --target web --no-typescript --out-dir $(SITE)/pkg --out-name regio $(WASM_DIR)/regio.wasm; \
		$(WASM_OPT) -Oz --enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals -o $(SITE)/pkg/regio.opt.wasm $(SITE)/pkg/regio_bg.wasm; \
		rm $(SITE)/pkg/regio_bg.wasm && mv $(SITE)/pkg/regio.opt.wasm $(SITE)/pkg/regio.wasm; \
	fi
	cp style/main.css $(SITE)/pkg/regio.css
	cp -r public/. $(SITE)/
	@printf 'hydrate bundle: %s bytes, %s gzip, %s brotli\n' "$$(stat -c %s $(SITE)/pkg/regio.wasm)" \
		"$$(gzip -9c $(SITE)/pkg/regio.wasm | wc -c)" "$$(brotli -c -q 11 $(SITE)/pkg/regio.wasm | wc -c)"

## The optimized server and site in one directory, ready to copy to a server.
release: build
	rm -rf $(RELEASE_DIR) && mkdir -p $(RELEASE_DIR)
	cp $(REGIO) $(RELEASE_DIR)/regio
	cp -r $(SITE) $(RELEASE_DIR)/site
	$(REGIO) sample-env > $(RELEASE_DIR)/.env.sample
	@echo "release directory: $(RELEASE_DIR)"

tools: rust-tools build-tools browser-tools e2e-tools

rust-tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)" \
		|| cargo install wasm-bindgen-cli@$(WASM_BINDGEN_VERSION)

## Binaryen's wasm-opt (npm) and brotli to report the bundle's size.
build-tools:
	@command -v brotli >/dev/null || { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y brotli; }
	@grep -qs '"version": "$(BINARYEN_VERSION)"' $(TARGET)/tools/node_modules/binaryen/package.json \
		|| npm install --prefix $(TARGET)/tools --no-audit --no-fund --no-save binaryen@$(BINARYEN_VERSION)

## Debian's Chromium for the browser tests, and Noto CJK so Japanese renders in its screenshots.
browser-tools:
	@command -v chromium >/dev/null && [ -d /usr/share/fonts/opentype/noto ] \
		|| { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y chromium fonts-noto-cjk; }

e2e-tools:
	@cd end2end && { [ -f node_modules/.package-lock.json ] && cmp -s package-lock.json node_modules/.lock-installed; } \
		|| { npm ci --no-audit --no-fund && cp package-lock.json node_modules/.lock-installed; }
	@end2end/.venv/bin/python -c "import stripe, sys; sys.exit(stripe.VERSION != '$(STRIPE_PYTHON_VERSION)')" 2>/dev/null \
		|| { python3 -m venv end2end/.venv && end2end/.venv/bin/pip install --quiet stripe==$(STRIPE_PYTHON_VERSION); }

postgres-check:
	@if [ "$${REGIO_SKIP_POSTGRES:-0}" = 1 ]; then echo "REGIO_SKIP_POSTGRES=1: PostgreSQL tests are skipped"; \
	elif ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then \
		echo "PostgreSQL is not reachable on 127.0.0.1:5432: the tests need it (or set REGIO_SKIP_POSTGRES=1 on a machine without it)."; exit 1; fi

## Formatting, and clippy on both halves of the crate with warnings as errors (the crate's lints
## forbid unwrap/expect outside tests). `make test` gets the same lints from its builds (LINT=1).
lint:
	cargo fmt --check
	cargo clippy $(SSR) --all-targets -- -D warnings
	cargo clippy $(HYDRATE) -- -D warnings

## REGIO_SKIP_POSTGRES=1 leaves out every test named `…::postgres`: counted as filtered out, never as passed.
## The run is bounded apart from the build: a stuck test fails here in minutes, named by the
## harness's "has been running for over 60 seconds", instead of holding CI until its own limit.
unit-and-integration:
	$(LINTING) $(CARGO) test $(SSR) --no-run
	$(LINTING) timeout --kill-after=30 900 $(CARGO) test $(SSR)$(if $(filter 1,$(REGIO_SKIP_POSTGRES)), -- --skip ::postgres)

## Browser tests: Playwright drives Debian's Chromium against a freshly started demo Regio (release build).
e2e:
	cd end2end && npx playwright test

## The release directory, copied to an empty folder and started from there, answers a sign-in.
release-check: release
	.ci/release-check $(RELEASE_DIR)

## Stripe's own Python SDK (stripe==$(STRIPE_PYTHON_VERSION)) against a freshly started emulator.
conformance:
	@port=$$((20000 + RANDOM % 20000)); \
	$(REGIO) stripe-emulator --addr 127.0.0.1:$$port > /dev/null & pid=$$!; \
	trap "kill $$pid 2>/dev/null" EXIT; \
	for i in $$(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$$port) 2>/dev/null && break; sleep 0.1; done; \
	end2end/.venv/bin/python end2end/stripe_conformance.py http://127.0.0.1:$$port

## Live reload while developing (installs cargo-leptos on first use: about 20 minutes).
watch: rust-tools build-tools
	@cargo leptos --version 2>/dev/null | grep -q " $(CARGO_LEPTOS_VERSION)" \
		|| cargo install cargo-leptos@$(CARGO_LEPTOS_VERSION) --locked --features no_downloads
	REGIO_DEMO=1 LEPTOS_SITE_ROOT=target/site cargo leptos watch

## Throughput figures for the README (release build).
bench:
	cargo run --release $(SSR) -- bench ingest --rows 100000 --postgres postgres://postgres@127.0.0.1:5432/postgres
	cargo run --release $(SSR) -- bench mirror --rows 2000 --rate 100
	cargo run --release $(SSR) -- bench recon --rows 1000000 --incremental 10000 --postgres postgres://postgres@127.0.0.1:5432/postgres
	cargo run --release $(SSR) -- bench list --rows 1000000 --postgres postgres://postgres@127.0.0.1:5432/postgres

clean-data:
	rm -rf data
