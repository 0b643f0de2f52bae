# Developer tasks. The test command is the one CI runs (.ci/run).
.PHONY: rebuild-check build test bench record-goldens format lint deps bench-api bench-shops release-binary release check-bare action-test lint-workflows check-schemas check-markdown ci-extras bench-names

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

bench-api:       ## plan (50 ms with a cold then warm cache; 250 ms) and apply (50 ms, 429 bursts) of 1,000 plans over HTTP at 360/60, at once: points, 429s, 409s, wall vs bound, estimate (~7 min)
	swift build -c release --product stoqctl-bench
	.build/release/stoqctl-bench api --latency 0.05

bench-shops:     ## a repository of 5 shops × 300 plans planned and applied at once by the release stoqctl against `stoqctl emulator` at 50 ms, vs one shop; peak RSS and comment size of a plan of 50 shops × 1,000 plans (~6 min; peak RSS needs GNU time)
	swift build -c release --product stoqctl-bench
	swift build -c release --product stoqctl
	.build/release/stoqctl-bench shops --latency 0.05

bench-names:     ## plans naming 1,000 / 5,000 / 20,000 variants by sku:, resolved over HTTP at a standard plan's and Plus's Shopify cost limits: queries, points, THROTTLED, wall vs bound (~10 min)
	swift build -c release --product stoqctl-bench
	.build/release/stoqctl-bench names --sizes 1000,5000,20000

release-binary:  ## stoqctl with the Swift runtime, libyaml, zlib and libstdc++ linked in (Linux), built reproducibly at RELEASE_DIR (default /tmp/stoqctl-release) with its build record: .build/release/stoqctl
	scripts/release-build.sh

release: release-binary  ## dist/stoqctl-VERSION-linux-ARCH.tar.gz and its .sha256
	scripts/release.sh

rebuild-check:   ## rebuild a release tarball (TARBALL=dist/….tar.gz) from its recorded commit and dependency graph in a fresh clone at another path; compare checksums
	scripts/rebuild-check.sh $(TARBALL)

check-bare:      ## the release binary needs only libc, and plans the example shop in an empty root (needs root)
	scripts/check-bare.sh

action-test:     ## the GitHub Action's scripts against local fakes of GitHub (needs make release)
	python3 -m unittest discover -v -s Tests/action

lint-workflows:  ## actionlint (with shellcheck) over this repository's workflows (one uses ./, so action.yml too) and the examples; shellcheck over the scripts
	actionlint .github/workflows/*.yml examples/github/*.yml
	shellcheck action/*.sh scripts/*.sh .ci/run

check-schemas:   ## the examples validate against schema/ with an independent validator
	python3 scripts/check-schemas.py

check-markdown:  ## Markdown plans rendered by GitHub's parser (cmark-gfm) show no escaping artefacts
	python3 scripts/check-markdown.py

ci-extras: release check-bare action-test lint-workflows check-schemas check-markdown
