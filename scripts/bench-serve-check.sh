#!/usr/bin/env bash
# Checks `apus bench serve` end to end against scripts/bench-serve-fake.py (a fake streaming completions server with a
# 20 ms first token and 5 ms between tokens): every request completes, token counts add up, and TTFT / ITL / TPOT
# land near the fake server's delays. Usage: scripts/bench-serve-check.sh [path/to/apus]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
apus="${1:-$root/.build/debug/apus}"
log="$(mktemp)"
python3 "$root/scripts/bench-serve-fake.py" --ttft-ms 20 --itl-ms 5 > "$log" &
fake=$!
trap 'kill $fake 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q LISTENING "$log" && break; sleep 0.1; done
port="$(awk '/LISTENING/ {print $2}' "$log")"
out="$("$apus" bench serve --base-url "http://127.0.0.1:$port" --num-prompts 20 --random-input-len 32 \
    --random-output-len 10 --max-concurrency 4 --request-rate 200 --json)"
echo "$out"
python3 - "$out" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
checks = {
    "all 20 completed": r["completed"] == 20 and r["failed"] == 0,
    "200 output tokens": r["total_output_tokens"] == 200,
    "640 input tokens": r["total_input_tokens"] == 640,
    "ttft about 20 ms": 18 <= r["median_ttft_ms"] <= 80,
    "itl about 5 ms": 4 <= r["median_itl_ms"] <= 40,
    "tpot about 5 ms": 4 <= r["median_tpot_ms"] <= 40,
    "e2el about 65 ms": 60 <= r["median_e2el_ms"] <= 300,
    "vLLM result keys": all(k in r for k in ["request_throughput", "output_throughput", "mean_ttft_ms", "p99_ttft_ms",
                                             "mean_tpot_ms", "p99_tpot_ms", "mean_itl_ms", "p99_itl_ms",
                                             "mean_e2el_ms", "p99_e2el_ms"]),
}
for name, ok in checks.items():
    print(("ok   " if ok else "FAIL ") + name)
passed = sum(checks.values())
print(f"{passed} passed, {len(checks) - passed} failed")
sys.exit(0 if passed == len(checks) else 1)
PY
