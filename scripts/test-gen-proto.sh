#!/usr/bin/env bash
# Tests scripts/gen-proto.sh on a scratch copy of the schema and the committed generated code (nothing in the
# checkout changes): --check passes on the committed tree; it fails, naming the stale files, when a .proto changes
# without regeneration (a new field, a comment) or when generated code is edited or added by hand; regenerating
# makes it pass again; the generator refuses an override table entry the schema no longer has. `make proto-check`
# runs it (so does CI).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/scripts" "$work/Sources/Wire/Messages"
cp -r "$root/Protos" "$work/"
cp "$root/scripts/gen-proto.sh" "$root/scripts/gen-swift-wire.py" "$work/scripts/"
cp -r "$root/Sources/CApusProto" "$work/Sources/"
cp -r "$root/Sources/Wire/Messages/Generated" "$work/Sources/Wire/Messages/"
gen="$work/scripts/gen-proto.sh"
proto="$work/Protos/apus/v1"
swift="$work/Sources/Wire/Messages/Generated"

fail() {
    echo "test-gen-proto: FAIL: $*" >&2
    exit 1
}
expect_up_to_date() {
    "$gen" --check >"$work/log" 2>&1 || { cat "$work/log" >&2; fail "$1: --check failed"; }
}
# expect_stale WHAT FILE...: --check exits non-zero and names each FILE.
expect_stale() {
    local what=$1
    shift
    if "$gen" --check >"$work/log" 2>&1; then fail "$what: --check passed"; fi
    for f in "$@"; do
        grep -qF "  $f" "$work/log" || { cat "$work/log" >&2; fail "$what: --check did not name $f"; }
    done
}
edit() {  # edit FILE SED-EXPRESSION: applies it and checks that the file changed
    cp "$1" "$work/before"
    sed -i "$2" "$1"
    ! cmp -s "$1" "$work/before" || fail "the test's edit '$2' did not change $1"
}

expect_up_to_date "the committed tree"

# A new field, not regenerated: the C and the Swift of that .proto are stale, the others are not.
edit "$proto/frame.proto" 's/^  uint32 max_frame_bytes = 5;$/&\n  string test_only_note = 6;/'
expect_stale "a new field" "Sources/Wire/Messages/Generated/ApusV1+Frame.swift" \
    "Sources/CApusProto/frame.pb-c.c" "Sources/CApusProto/include/apus/v1/frame.pb-c.h"
grep -qF "ApusV1+Engine.swift" "$work/log" && fail "a new field in frame.proto: engine.proto's Swift named stale"
"$gen" >/dev/null
expect_up_to_date "after regenerating"
grep -qF "public var testOnlyNote: String" "$swift/ApusV1+Frame.swift" || fail "the new field is not in the Swift mirror"

# A changed comment changes the generated docs (Swift and C).
edit "$proto/health.proto" 's|// "" = the server as a whole.|// "" = the whole server.|'
expect_stale "a comment" "Sources/Wire/Messages/Generated/ApusV1+Health.swift"
"$gen" >/dev/null
grep -qF '/// "" = the whole server.' "$swift/ApusV1+Health.swift" || fail "the comment is not in the Swift docs"

# Hand edits to generated Swift, and a file that generation would not write.
echo "// hand edit" >>"$swift/ApusV1+Runner.swift"
touch "$swift/Extra.swift"
expect_stale "hand edits" "Sources/Wire/Messages/Generated/ApusV1+Runner.swift" \
    "Sources/Wire/Messages/Generated/Extra.swift"
"$gen" >/dev/null
expect_up_to_date "after regenerating over hand edits"
[[ ! -e "$swift/Extra.swift" ]] || fail "regenerating kept a stray file"

# The output is deterministic: regenerating twice writes the same bytes.
cp -r "$swift" "$work/first"
"$gen" >/dev/null
diff -r "$work/first" "$swift" >/dev/null || fail "two generations differ"

# An override for a field the schema lost is an error, not silently ignored.
edit "$proto/runner.proto" 's/^  bytes grammar_bitmask = 10;$/  reserved 10;/'
if "$gen" >"$work/log" 2>&1; then fail "generation passed with a stale override"; fi
grep -qF "SchedulerOutput.grammar_bitmask" "$work/log" || { cat "$work/log" >&2; fail "the error does not name it"; }

echo "test-gen-proto: ok"
