#!/usr/bin/env bash
# Decode-side inter-token latency with long prompts arriving while short requests decode: two engines colocated
# (each serves prefill and decode) against 1P1D (one producer, one consumer), on this machine (issue 14).
#
# Each engine's runner is pinned to its own core (taskset), so in both set-ups the two runners never share a core:
# colocated, both cores run prefills and decodes; 1P1D, core 0 runs every prefill and core 1 every decode. The
# engine-cores, router and api are not pinned. Two `apus bench serve` clients run at once against the api:
#   decode load:  --num-prompts N short prompts (64 tokens) × 128 output tokens, 8 at a time
#   prefill load: LONG_PROMPTS long prompts (2048 tokens) × 4 output tokens, LONG_RATE per second (Poisson),
#                 arriving throughout the decode load
# and the decode client's ITL percentiles are compared. Release build; SmolLM2 by default.
#
#   scripts/bench-pd.sh [MODEL]     (env: APUS=path/to/apus, DECODE_PROMPTS=48, LONG_PROMPTS=16, LONG_LEN=2048, LONG_RATE=0.25)
set -euo pipefail
cd "$(dirname "$0")/.."
apus=${APUS:-.build/release/apus}
model=${1:-$(scripts/fetch-smollm2.sh)}
decode_prompts=${DECODE_PROMPTS:-48}
long_prompts=${LONG_PROMPTS:-16}
long_len=${LONG_LEN:-2048}
long_rate=${LONG_RATE:-0.25}
base=${BASE_PORT:-17300}
logs=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

start() {  # start NAME CPU ARGS... (CPU "-" = not pinned)
    local name=$1 cpu=$2
    shift 2
    if [[ $cpu == - ]]; then "$apus" "$@" >"$logs/$name.log" 2>&1 &
    else taskset -c "$cpu" "$apus" "$@" >"$logs/$name.log" 2>&1 &
    fi
    pids+=($!)
}

wait_ready() {  # wait_ready URL
    for _ in $(seq 1 600); do
        curl -sf "$1" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "not ready: $1 (logs in $logs)" >&2
    exit 1
}

common=(--host 127.0.0.1 --log-level warning)
engine_flags=(--max-model-len 4096 --max-num-seqs 32)

cluster() {  # cluster colocated|pd
    local mode=$1
    start runner0 0 runner "${common[@]}" --port $((base + 1)) --admin-port=-1 --model "$model" --max-model-len 4096
    start runner1 1 runner "${common[@]}" --port $((base + 2)) --admin-port=-1 --model "$model" --max-model-len 4096
    if [[ $mode == pd ]]; then
        start engine0 - engine-core "${common[@]}" --port $((base + 3)) --admin-port=-1 --runner 127.0.0.1:$((base + 1)) \
            --kv-role producer --engine-id prefill0 "${engine_flags[@]}"
        start engine1 - engine-core "${common[@]}" --port $((base + 4)) --admin-port=-1 --runner 127.0.0.1:$((base + 2)) \
            --kv-role consumer --engine-id decode0 "${engine_flags[@]}"
        start router - router "${common[@]}" --port $((base + 5)) --admin-port=-1 --pd-disaggregation \
            --prefill 127.0.0.1:$((base + 3)) --decode 127.0.0.1:$((base + 4))
    else
        start engine0 - engine-core "${common[@]}" --port $((base + 3)) --admin-port=-1 --runner 127.0.0.1:$((base + 1)) \
            --engine-id engine0 "${engine_flags[@]}"
        start engine1 - engine-core "${common[@]}" --port $((base + 4)) --admin-port=-1 --runner 127.0.0.1:$((base + 2)) \
            --engine-id engine1 "${engine_flags[@]}"
        start router - router "${common[@]}" --port $((base + 5)) --admin-port=-1 --policy least_loaded \
            --engine 127.0.0.1:$((base + 3)) --engine 127.0.0.1:$((base + 4))
    fi
    start api - api --host 127.0.0.1 --port $((base + 6)) --admin-port=-1 --upstream 127.0.0.1:$((base + 5)) \
        --tokenizer "$model" --log-level warning
    wait_ready "http://127.0.0.1:$((base + 6))/v1/models"
}

load() {  # load LABEL: both clients at once; prints the decode client's summary
    local label=$1 url="http://127.0.0.1:$((base + 6))"
    # Warm-up: a few requests of each shape.
    "$apus" bench serve --base-url "$url" --num-prompts 4 --input-len 64 --output-len 8 --seed 7 >/dev/null
    "$apus" bench serve --base-url "$url" --num-prompts 1 --input-len "$long_len" --output-len 2 --seed 8 >/dev/null
    "$apus" bench serve --base-url "$url" --num-prompts "$long_prompts" --input-len "$long_len" --output-len 4 \
        --request-rate "$long_rate" --seed 2 --json >"$logs/long-$label.json" &
    local long=$!
    "$apus" bench serve --base-url "$url" --num-prompts "$decode_prompts" --input-len 64 --output-len 128 \
        --max-concurrency 8 --seed 1 --json >"$logs/decode-$label.json"
    wait "$long"
    echo "== $label: decode client"
    grep '^{' "$logs/decode-$label.json" | tail -1
    echo "== $label: long-prompt client"
    grep '^{' "$logs/long-$label.json" | tail -1
}

echo "# $(date -u); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(uptime)"
echo "# model $model; decode load $decode_prompts × (64 in, 128 out) at concurrency 8; prefill load $long_prompts × ($long_len in, 4 out) at $long_rate/s"
for mode in colocated pd; do
    cluster "$mode"
    load "$mode"
    cleanup
    pids=()
    sleep 1
done
echo "# $(uptime)"
