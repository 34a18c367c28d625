# SentinelIQ — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift

.PHONY: run demo test build release lint format setup test-setup conformance

setup:
	@bash scripts/setup.sh

# What the tests need besides: a redis-server binary (the Redis Streams tests start their own).
test-setup:
	@bash scripts/setup.sh --test

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

# The main job: the scoring daemon on its embedded defaults (the reference rules in rules/,
# sentinel.db, 127.0.0.1:8080). Ctrl-C (SIGINT) or SIGTERM shuts it down gracefully.
run: release
	bash scripts/serve.sh .build/release/sentinel

# The pipeline tour: compile the reference rules, replay the corpus, explain an event, evaluate
# CEL expressions through the whole pipeline and run the CEL conformance suite.
demo: release
	bash scripts/demo.sh .build/release/sentinel

# Every test: the lint, the unit/differential/conformance tests.
test: test-setup lint
	$(SWIFT) test 2>&1 | tee .build-test.log | tail -n 40; exit $${PIPESTATUS[0]}

lint:
	$(SWIFT) format lint --strict --recursive --configuration .swift-format Package.swift Sources Tests

format:
	$(SWIFT) format format --in-place --recursive --configuration .swift-format Package.swift Sources Tests

conformance: release
	.build/release/sentinel conformance fixtures/cel-conformance
