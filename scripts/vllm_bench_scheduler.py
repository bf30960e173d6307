#!/usr/bin/env python3
"""The `apus bench scheduler` workload run through vLLM's real V1 Scheduler, for the per-step comparison.

Usage:  python scripts/vllm_bench_scheduler.py [--cpu] [N ...]   (default 64 256 1024; needs vllm==0.33.0)

Same workload as Sources/ApusBench/SchedulerBenchmark.swift: N requests with 512-token prompts (every other
one shares a 256-token prefix; token ids from the same LCG), max_tokens 128, max_num_seqs 256,
max_num_batched_tokens 8192, block size 16, prefix caching on, enough blocks for every request, all arrived
before step 0; a fake runner returns one non-EOS token per request past its prefill. One warm-up pass, then
schedule() + update_from_output() of every step is timed (building the runner output is not).
Prints the same JSON lines as `apus bench scheduler --json`. `--cpu` times with the thread's CPU clock
instead of the wall clock (steady numbers on a busy machine).
"""
import json
import statistics
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from vllm_sim import make_request, make_scheduler  # noqa: E402
from vllm.utils.hashing import sha256  # noqa: E402
from vllm.v1.core.kv_cache_utils import get_request_block_hasher, init_none_hash  # noqa: E402
from vllm.v1.outputs import ModelRunnerOutput  # noqa: E402

M64 = (1 << 64) - 1


def workload(n):
    rng = 0x9E3779B97F4A7C15

    def next_token():
        nonlocal rng
        rng = (rng * 6364136223846793005 + 1442695040888963407) & M64
        return ((rng >> 33) % 32000) + 3

    shared = [next_token() for _ in range(256)]
    prompts = []
    for i in range(n):
        p = list(shared) if i % 2 == 0 else []
        while len(p) < 512:
            p.append(next_token())
        prompts.append(p)
    return prompts


CLOCK = time.perf_counter_ns


def step_times(n):
    cfg = {"block_size": 16, "num_gpu_blocks": n * 640 // 16 + 64, "max_num_seqs": 256,
           "max_num_batched_tokens": 8192, "max_model_len": 4096, "enable_prefix_caching": True}
    sched, block_size = make_scheduler(cfg)
    init_none_hash(sha256)
    hasher = get_request_block_hasher(block_size, sha256)
    for i, p in enumerate(workload(n)):
        sched.add_request(make_request(
            {"request_id": f"req-{i}", "prompt_token_ids": p, "max_tokens": 128, "eos_token_id": 2}, i, hasher))
    times = []
    while sched.has_requests():
        t0 = CLOCK()
        out = sched.schedule()
        t1 = CLOCK()
        order = list(out.num_scheduled_tokens.keys())
        sampled = [[7] if sched.requests[r].num_computed_tokens >= sched.requests[r].num_tokens else []
                   for r in order]
        mro = ModelRunnerOutput(req_ids=order, req_id_to_index={r: i for i, r in enumerate(order)},
                                sampled_token_ids=sampled, logprobs=None, prompt_logprobs_dict={}, pooler_output=[])
        t2 = CLOCK()
        sched.update_from_output(out, mro)
        t3 = CLOCK()
        times.append(((t1 - t0) + (t3 - t2)) / 1000.0)
    return times


def main():
    global CLOCK
    if "--cpu" in sys.argv:
        CLOCK = time.thread_time_ns
    counts = [int(a) for a in sys.argv[1:] if a != "--cpu"] or [64, 256, 1024]
    for n in counts:
        step_times(n)  # warm-up
        us = sorted(step_times(n))
        mean = statistics.fmean(us)
        pct = lambda p: us[min(len(us) - 1, round(p * (len(us) - 1)))]  # noqa: E731
        print(json.dumps({"requests": n, "steps": len(us), "us_per_step_mean": round(mean, 3),
                          "us_per_step_p50": round(pct(0.5), 3), "us_per_step_p99": round(pct(0.99), 3),
                          "steps_per_s": round(1e6 / mean, 3)}))


if __name__ == "__main__":
    main()
