#!/usr/bin/env bash
# Regenerates Sources/CApusProto from Protos/ with protoc-c (Debian: protobuf-c-compiler).
# Usage: scripts/gen-proto.sh [--check]   (--check: fail if the committed code differs)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
protoc-c --proto_path=Protos --c_out="$out" Protos/apus/v1/*.proto
# Flatten into the C target: sources beside include/apus/v1/*.pb-c.h so the generated #include paths resolve.
mkdir -p "$out/target/include/apus/v1"
for f in "$out"/apus/v1/*.pb-c.c; do cp "$f" "$out/target/$(basename "$f")"; done
cp "$out"/apus/v1/*.pb-c.h "$out/target/include/apus/v1/"
cat > "$out/target/include/apus_proto.h" <<'H'
/* Umbrella header for the generated Apus wire schema (scripts/gen-proto.sh). */
#include "apus/v1/frame.pb-c.h"
#include "apus/v1/health.pb-c.h"
#include "apus/v1/engine.pb-c.h"
#include "apus/v1/runner.pb-c.h"
#include "apus/v1/router.pb-c.h"
H
cat > "$out/target/include/module.modulemap" <<'H'
module CApusProto {
    header "apus_proto.h"
    link "protobuf-c"
    export *
}
H
if [[ "${1:-}" == "--check" ]]; then
    diff -r "$out/target" Sources/CApusProto && echo "generated code is up to date"
else
    rm -rf Sources/CApusProto
    cp -r "$out/target" Sources/CApusProto
    echo "regenerated Sources/CApusProto"
fi
