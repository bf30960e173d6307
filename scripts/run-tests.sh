#!/usr/bin/env bash
# Runs the Swift test suite (already built by `make build`). Integration tests find the apus binary in .build/debug.
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_DETERMINISTIC_HASHING=1
swift build --product apus
swift test --skip-build --parallel --num-workers 2 ${SWIFT_TEST_FLAGS:-}
