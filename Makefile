# Developer tasks. The test command is the one CI runs (.ci/run).
.PHONY: build test bench record-goldens format lint deps

deps:            ## install libyaml (Debian/Ubuntu) if it is missing
	@pkg-config --exists yaml-0.1 || (apt-get update && apt-get install -y libyaml-dev pkg-config)

build:
	swift build

test:
	swift test

bench:           ## speed and memory at scale, and verified policies on a virtual clock (release build)
	swift run -c release stoqctl-bench

record-goldens:  ## re-record golden files (the run reports failures on purpose; review the diff)
	-RECORD_GOLDENS=1 swift test
	git diff --stat -- Tests/Fixtures

format:
	swift format --in-place --recursive Sources Tests Package.swift

lint:
	swift format lint --recursive Sources Tests Package.swift
