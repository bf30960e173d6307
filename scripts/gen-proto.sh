#!/usr/bin/env bash
# Regenerates the code generated from Protos/apus/v1/*.proto (needs protoc-c, Debian's protobuf-c-compiler, and
# python3):
#   Sources/CApusProto               protoc-c's C, an umbrella header and a module map
#   Sources/Wire/Messages/Generated  the ApusV1 Swift mirrors and their C conversions, written by
#                                    scripts/gen-swift-wire.py from the descriptor set protoc-c writes
# Usage: scripts/gen-proto.sh [--check]   (--check: change nothing; fail, naming each stale file, if the committed
#                                          code differs from what would be generated)
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
case "${1:-}" in
    "") ;;
    --check) check=1 ;;
    *) echo "usage: scripts/gen-proto.sh [--check]" >&2; exit 2 ;;
esac
command -v protoc-c >/dev/null || { echo "gen-proto.sh: protoc-c not found (Debian: protobuf-c-compiler)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
protoc-c --proto_path=Protos --c_out="$out" --descriptor_set_out="$out/apus.desc" --include_source_info \
    Protos/apus/v1/*.proto
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
python3 scripts/gen-swift-wire.py "$out/apus.desc" "$out/swift"

# generated:committed
outputs=("$out/target:Sources/CApusProto" "$out/swift:Sources/Wire/Messages/Generated")
if ((check)); then
    stale=()
    for pair in "${outputs[@]}"; do
        generated=${pair%%:*} committed=${pair#*:}
        while IFS= read -r f; do
            cmp -s "$generated/$f" "$committed/$f" 2>/dev/null || stale+=("$committed/$f")
        done < <({
            (cd "$generated" && find . -type f)
            if [[ -d $committed ]]; then (cd "$committed" && find . -type f); fi
        } | sed 's|^\./||' | LC_ALL=C sort -u)
    done
    if ((${#stale[@]})); then
        echo "gen-proto.sh: generated code is stale; run scripts/gen-proto.sh and commit the result:" >&2
        for f in "${stale[@]}"; do echo "  $f" >&2; done
        for pair in "${outputs[@]}"; do diff -ru "${pair#*:}" "${pair%%:*}" | head -n 100 >&2 || true; done
        exit 1
    fi
    echo "generated code is up to date"
else
    for pair in "${outputs[@]}"; do
        generated=${pair%%:*} committed=${pair#*:}
        rm -rf "$committed"
        cp -r "$generated" "$committed"
        echo "regenerated $committed"
    done
fi
