#!/usr/bin/env bash
# Builds apus in release and runs `apus bench wire` (Apus RPC vs grpc-swift-2); extra arguments go to the command,
# e.g. scripts/bench-wire.sh --rounds 3 --json
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_DETERMINISTIC_HASHING=1
swift build -c release --product apus
exec .build/release/apus bench wire "$@"
