# SentinelIQ — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift

.PHONY: run test build release lint format setup conformance

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

# The main job. Until the daemon exists: evaluate example CEL expressions through the whole
# pipeline (parse → check → compile → verify → VM) and run the CEL conformance suite.
run: release
	bash scripts/demo.sh .build/release/sentinel

# Every test: the lint, the unit/differential/conformance tests.
test: setup lint
	$(SWIFT) test 2>&1 | tee .build-test.log | tail -n 40; exit $${PIPESTATUS[0]}

lint:
	$(SWIFT) format lint --strict --recursive --configuration .swift-format Package.swift Sources Tests

format:
	$(SWIFT) format format --in-place --recursive --configuration .swift-format Package.swift Sources Tests

conformance: release
	.build/release/sentinel conformance fixtures/cel-conformance
