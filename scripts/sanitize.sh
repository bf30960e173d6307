#!/usr/bin/env bash
# Runs the unit suites under a sanitizer, in its own build folder (.build/<sanitizer>), so a normal build is untouched.
#
#   scripts/sanitize.sh address|thread [swift test args, e.g. --filter WireTests]
#
# The integration suites (real processes, timing) are skipped: they test the same code through processes whose own
# instrumentation would need every child built with the sanitizer too. Exceptions a sanitizer needs are listed in
# docs/performance.md's sanitizer section with their reason.
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizer=${1:?usage: scripts/sanitize.sh address|thread [swift test args]}
shift
case "$sanitizer" in address | thread) ;; *) echo "sanitizer must be address or thread" >&2; exit 2 ;; esac
export SWIFT_DETERMINISTIC_HASHING=1
serial='IntegrationTests|RouterServicePrefixTests|RouterServiceHealthTests|RouterServiceFailureTests|RouterServiceResilienceTests|RouterServiceLoRATests|RouterServicePDTests|TLSServerRobustnessTests|BackpressureTests'
# TSan: report every race once and fail the run on any (halt_on_error would stop at the first).
export TSAN_OPTIONS="${TSAN_OPTIONS:-second_deadlock_stack=1 report_signal_unsafe=0}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
swift build --build-tests --sanitize="$sanitizer" --scratch-path ".build/$sanitizer"
swift test --skip-build --sanitize="$sanitizer" --scratch-path ".build/$sanitizer" --skip "$serial" "$@"
