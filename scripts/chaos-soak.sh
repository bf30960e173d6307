#!/usr/bin/env bash
# Chaos soak (reliability campaign): `apus serve --data-parallel-size 2` under steady `apus bench serve` load while,
# every INTERVAL seconds, one random child (runner, engine-core or router) gets SIGKILL, or SIGSTOP for longer than
# the hung-engine timeout and then SIGCONT. Prints the requests (completed, failed and the first errors), the kills
# and pauses, each service's resident memory after warm-up and at the end, and its open file descriptors; exits 1
# when a request was lost (failed before its first token, or without a clear error), memory grew over 10 % or
# descriptors did not come back.
#
#   scripts/chaos-soak.sh [SECONDS=1200] [INTERVAL=30] [APUS=.build/release/apus]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-1200}
interval=${2:-30}
apus=${3:-.build/release/apus}
port=${APUS_SOAK_PORT:-18123}
work=$(mktemp -d)
trap 'kill -INT "$serve" 2>/dev/null || true; wait "$serve" 2>/dev/null || true; rm -rf "$work"' EXIT

"$apus" serve --port "$port" --data-parallel-size 2 --memory-budget 512MiB --max-model-len 512 >"$work/serve.log" 2>&1 &
serve=$!
for _ in $(seq 240); do curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null && break; sleep 0.5; done

child() {  # child NAME-PREFIX: the pid of a random child whose subcommand is NAME-PREFIX
    for pid in $(cat /proc/"$serve"/task/*/children 2>/dev/null); do
        tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | awk -v p="$pid" -v n="$1" '$2 == n {print p}'
    done | shuf -n 1
}
snapshot() {  # one line per service: NAME RSS_KB FDS, summed over its processes (two runners, two engine-cores)
    for pid in $(cat /proc/"$serve"/task/*/children 2>/dev/null); do
        name=$(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | awk '{print $2}')
        rss=$(awk '/^VmRSS:/ {print $2}' /proc/"$pid"/status 2>/dev/null || echo 0)
        fds=$(ls /proc/"$pid"/fd 2>/dev/null | wc -l)
        echo "$name $rss $fds"
    done | awk '{r[$1] += $2; f[$1] += $3} END {for (n in r) print n, r[n], f[n]}' | sort
}

# Load: batches of 64 requests, 16 at a time, 64 output tokens each, until the soak ends.
(
    end=$((SECONDS + duration))
    while ((SECONDS < end)); do
        "$apus" bench serve --base-url "http://127.0.0.1:$port" --num-prompts 64 --max-concurrency 16 \
            --input-len 64 --output-len 64 --request-timeout 120 >>"$work/load.log" 2>&1 || true
    done
) &
load=$!

sleep 20
snapshot >"$work/warm"
kills=0
pauses=0
end=$((SECONDS + duration - 20))
while ((SECONDS < end)); do
    sleep "$interval"
    victim_kind=$(shuf -n 1 -e runner engine-core router)
    victim=$(child "$victim_kind")
    [[ -n "$victim" ]] || continue
    if ((RANDOM % 3 == 0)) && [[ "$victim_kind" != router ]]; then
        kill -STOP "$victim"
        sleep 5
        kill -CONT "$victim" 2>/dev/null || true
        pauses=$((pauses + 1))
        echo "$(date +%T) paused $victim_kind $victim for 5 s"
    else
        kill -KILL "$victim"
        kills=$((kills + 1))
        echo "$(date +%T) killed $victim_kind $victim"
    fi
done
wait "$load" || true
sleep 10
snapshot >"$work/final"

completed=$(awk '/^Successful requests:/ {s += $3} END {print s + 0}' "$work/load.log")
failed=$(awk '/^Failed requests:/ {s += $3} END {print s + 0}' "$work/load.log")
# Lost: failed before the first token reached the client (the api retries a lost router, the router a lost
# engine-core, so none should). The rest ended mid-stream with an error event, which is counted, not lost.
lost=$(awk -F'[:,]' '/^failed before the first token:/ {s += $2} END {print s + 0}' "$work/load.log")
# A failure is lost work when it carries no error from the cluster: a timeout or a refused or reset connection.
unclear=$(grep '^first failure:' "$work/load.log" | grep -ci 'timed out\|refused\|reset by peer' || true)
echo "requests: $completed completed, $failed failed ($lost before their first token, $((failed - lost)) mid-stream); kills $kills, pauses $pauses over $duration s"
grep '^first failure:' "$work/load.log" | sort | uniq -c | sort -rn | head -5 || true
status=0
echo "service  rss-after-warm-up(kB)  rss-at-end(kB)  fds-after-warm-up  fds-at-end"
join "$work/warm" "$work/final" |
    while read -r name rss0 fd0 rss1 fd1; do
        echo "$name  $rss0  $rss1  $fd0  $fd1"
        if ((rss1 * 10 > rss0 * 11)); then echo "  $name grew more than 10 %"; fi
        if ((fd1 > fd0)); then echo "  $name holds more descriptors than after warm-up"; fi
    done | tee "$work/table"
grep -q 'grew\|more descriptors' "$work/table" && status=1
((unclear == 0)) || status=1
((lost == 0)) || status=1
exit $status
