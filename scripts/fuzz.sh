#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of every decoder of untrusted bytes.
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS]       # default: all, 60 s each; 0: replay the corpora once (a smoke)
#   scripts/fuzz.sh --build-only [TARGET|all]
#   scripts/fuzz.sh --list
#
# Builds the fuzz executables (Sources/Fuzz/*) in release with -sanitize=fuzzer,address and -DFUZZING, in their own
# scratch path (.build/fuzz, so normal builds are not disturbed), then runs each target for SECONDS on its seed
# corpus (Tests/Fixtures/fuzz/<target>/corpus, with its dictionary when there is one). New corpus entries go to
# .build/fuzz-runs/<target>/corpus (git-ignored, kept between runs); crashes, timeouts (>10 s per input) and OOMs
# (>2048 MB) to .build/fuzz-runs/<target>/artifacts. Prints, per target, executions, exec/s, libFuzzer's final
# cov:/ft: and the artifacts; exits 1 when any target crashed.
#
# A crash artifact replays with the fuzz binary (`.build/fuzz/release/FuzzX ARTIFACT`), or without sanitizers
# with a normal build (`swift run FuzzX ARTIFACT`). Extra libFuzzer flags: FUZZ_FLAGS="-jobs=2 ...".
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export SWIFT_DETERMINISTIC_HASHING=1
export APUS_FIXTURES="$root/Tests/Fixtures"
# Swift's own crash backtracer reads the stack in a way ASan reports as a second error (and can hang); libFuzzer
# prints the stack itself.
export SWIFT_BACKTRACE=enable=no
# Leak checks off, for libFuzzer (-detect_leaks=0 below) and for ASan at exit (see the note at the run).
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

targets=(frames wire-messages openai-requests tokenizer model-files chat-template structured-output)

product() {
    case "$1" in
        frames) echo FuzzFrames ;;
        wire-messages) echo FuzzWireMessages ;;
        openai-requests) echo FuzzOpenAIRequests ;;
        tokenizer) echo FuzzTokenizer ;;
        model-files) echo FuzzModelFiles ;;
        chat-template) echo FuzzChatTemplate ;;
        structured-output) echo FuzzStructuredOutput ;;
        *) echo "unknown fuzz target '$1' (one of: ${targets[*]}, all)" >&2; exit 2 ;;
    esac
}

build_only=0
if [[ "${1:-}" == "--list" ]]; then printf '%s\n' "${targets[@]}"; exit 0; fi
if [[ "${1:-}" == "--build-only" ]]; then build_only=1; shift; fi
which="${1:-all}"
seconds="${2:-60}"
if [[ "$which" == all ]]; then selected=("${targets[@]}"); else product "$which" >/dev/null; selected=("$which"); fi

scratch="$root/.build/fuzz"
flags=(
    -c release --scratch-path "$scratch"
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING
    # NOTE: gold fails to link the instrumented executables (an internal error in its DWARF reader); lld works.
    -Xswiftc -use-ld=lld
)
start=$(date +%s)
for t in "${selected[@]}"; do
    echo "== building $(product "$t")"
    mkdir -p "$root/.build/fuzz-runs"
    if ! swift build "${flags[@]}" --product "$(product "$t")" >"$root/.build/fuzz-runs/build.log" 2>&1; then
        grep -E "error:" "$root/.build/fuzz-runs/build.log" | head -20 >&2
        echo "build of $(product "$t") failed (log: .build/fuzz-runs/build.log)" >&2
        exit 2
    fi
done
echo "== fuzz build took $(( $(date +%s) - start )) s"
[[ $build_only == 1 ]] && exit 0

crashed=0
summary=()
# -runs=0 runs the corpora once and stops: what is already known still passes.
if [[ "$seconds" == 0 ]]; then length=(-runs=0); else length=(-max_total_time="$seconds"); fi
for t in "${selected[@]}"; do
    bin="$scratch/release/$(product "$t")"
    seeds="$root/Tests/Fixtures/fuzz/$t"
    run="$root/.build/fuzz-runs/$t"
    mkdir -p "$run/corpus" "$run/artifacts"
    dict=()
    [[ -f "$seeds/dictionary" ]] && dict=(-dict="$seeds/dictionary")
    log="$run/fuzz.log"
    echo "== fuzzing $t for $seconds s (log: ${log#"$root"/})"
    set +e
    # -detect_leaks=0: at its first scan LeakSanitizer reports indirect-enum boxes built at start-up (a template's
    # parse tree, a static grammar) as leaked, most likely because enum payload pointers carry tag bits it does
    # not follow; with leak checks on, most targets stop at their first input.
    # A log file, not a pipe: a crashing process's symbolizer can hold a pipe open long after the fuzzer exits.
    timeout -k 10 $((seconds + 300)) "$bin" "$run/corpus" "$seeds/corpus" "${dict[@]}" \
        "${length[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -detect_leaks=0 \
        -artifact_prefix="$run/artifacts/" ${FUZZ_FLAGS:-} >"$log" 2>&1
    status=$?
    set -e
    stat() { grep -o "stat::$1: *[0-9]*" "$log" | tail -1 | awk '{print $2}' || true; }
    execs=$(stat number_of_executed_units)
    rate=$(stat average_exec_per_sec)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(grep -o 'cov: [0-9]*' <<<"$last" | awk '{print $2}' || true)
    ft=$(grep -o 'ft: [0-9]*' <<<"$last" | awk '{print $2}' || true)
    corpus=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' <<<"$last" | awk '{print $2}' || true)
    artifacts=$(grep -o "Test unit written to .*" "$log" | sed 's/Test unit written to //' || true)
    line="$t: status $status, ${execs:-?} execs, ${rate:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corpus:-?}"
    if [[ $status != 0 || -n "$artifacts" ]]; then
        crashed=1
        line+=", FAILED: $(grep -m1 -E 'ERROR: |Fatal error|fatal error|SUMMARY' "$log" || echo "see $log")"
        for a in $artifacts; do line+=$'\n'"    artifact: ${a#"$root"/}"; done
    fi
    echo "$line"
    summary+=("$line")
done

echo
echo "== summary (${seconds} s per target)"
printf '%s\n' "${summary[@]}"
exit $crashed
