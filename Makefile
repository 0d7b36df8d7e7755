# Postern's everyday commands. `make run` and `make test` are all a new machine needs.
CARGO ?= cargo

.PHONY: run test fuzz bench bench-scale microbench resilience fmt lint doc examples openapi services browser oidc-provider build-deps deploy-check

## run: build and start the server on the embedded default (SQLite under ./data, in-process adapters).
## Every setting, HOST and PORT included, comes from the environment or .env, as `postern config
## check` shows them (`make run PORT=8090` works too); the server logs where its API docs are.
run: build-deps
	$(CARGO) run -q -p postern -- serve

## test: every test, against the local PostgreSQL (started if stopped), SQLite, the local Redis
## and a three-master Redis Cluster that the tests start themselves (redis-server, redis-cli), with headless
## Chromium for the link pages (installed if missing), then the OpenAPI lint and the generated TypeScript client against a live server (needs Node.js 20+),
## then the API fuzzing (needs python3).
## The binaries are built first: some tests run `postern` as an operator would, and the
## example resource server beside it, and `cargo test`
## builds test harnesses of binaries, not the binaries themselves. `--all-targets` leaves out
## doc tests, so they run on their own after.
test: build-deps services browser oidc-provider
	$(CARGO) build -p postern -p postern-resource-server
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc
	@bash tests/clients/run.sh
	$(MAKE) fuzz

## fuzz: Schemathesis against every operation of openapi/openapi.json on a real server (needs python3)
fuzz:
	@command -v python3 >/dev/null 2>&1 || { echo "make fuzz: python3 is missing; install it (apt-get install -y python3 python3-venv) to run the Schemathesis API fuzzing."; exit 1; }
	$(CARGO) build -p postern
	bash tests/fuzz/schemathesis.sh

## bench: release build on PostgreSQL + Redis and on the embedded default, driven by wrk (see docs/performance.md)
bench: build-deps services
	bash bench/run.sh

## bench-scale: profile, login and admin-list latency with 1,000 accounts, then bulk-seeded to 1,000,000 (SCALE_USERS), with the ratios
bench-scale: services
	bash bench/scale.sh

## microbench: Criterion timings of token signing and verification, a rate-limit check and a
## profile-cache round trip, in process and on the local Redis (see docs/performance.md)
microbench: services
	$(CARGO) bench -p postern-tests --bench hot_paths

## resilience: Redis and PostgreSQL outages, killed workers and SIGTERM under load, with verdicts
resilience: services
	bash bench/resilience.sh

## services: start the local PostgreSQL and Redis if they are installed but stopped
services:
	@bash tests/ensure-services.sh

## build-deps: install OpenSSL's development files (pkg-config, libssl-dev) if missing; WebAuthn links them
build-deps:
	@bash tests/ensure-build-deps.sh

## browser: install the headless browser of the browser tests (chromium, chromium-driver) if missing
browser:
	@bash tests/ensure-browser.sh

## oidc-provider: install the sign-in tests' OpenID Provider (tests/oidc-provider, npm ci) if missing
oidc-provider:
	@bash tests/ensure-oidc-provider.sh

## fmt: format the code
fmt:
	$(CARGO) fmt --all

## lint: formatting check and clippy with warnings as errors
lint: build-deps
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## doc: the API documentation of every crate, with warnings as errors (open target/doc/postern_core/index.html)
doc: build-deps
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --workspace

## examples: run the embedding examples (examples/embedding); each checks its own outcomes
examples:
	$(CARGO) run -q -p postern-examples --example embedded
	$(CARGO) run -q -p postern-examples --example own_user_repo
	$(CARGO) run -q -p postern-examples --example mock_a_port

## openapi: regenerate the committed OpenAPI document from the code
openapi:
	$(CARGO) run -q -p postern -- openapi --output openapi/openapi.json

## deploy-check: validate deploy/ (compose, Kubernetes manifests, Dockerfile) without Docker
deploy-check:
	@bash deploy/validate.sh
