#!/usr/bin/env python3
"""Writes a random `apus sim` trace (stdlib only), to hold Apus' scheduler against vLLM's step by step.

Usage:  python scripts/gen_sim_trace.py SEED > trace.json
        for s in $(seq 1 50); do python scripts/gen_sim_trace.py $s > t.json;
          diff <(apus sim t.json) <(python scripts/vllm_sim.py t.json) || echo "seed $s differs"; done

The traces stress what differs between schedulers: tight KV pools (preemption), shared prefixes (cache hits
and evictions), chunked prefill on and off, long-prefill thresholds, the priority policy, EOS / stop ids /
max_tokens, and aborts (`abort_step`).
"""
import json
import random
import sys


def trace(seed):
    rng = random.Random(seed)
    block_size = rng.choice([4, 8, 16])
    max_model_len = rng.choice([64, 128, 256])
    chunked = rng.random() < 0.75
    max_num_seqs = rng.randint(1, 8)
    budget = rng.randint(max(max_num_seqs, 16), 256) if chunked else rng.randint(max_model_len, 2 * max_model_len)
    min_blocks = -(-max_model_len // block_size) + 1
    cfg = {
        "block_size": block_size,
        "num_gpu_blocks": rng.randint(min_blocks + 1, min_blocks * 4),
        "max_num_seqs": max_num_seqs,
        "max_num_batched_tokens": budget,
        "max_model_len": max_model_len,
        "enable_prefix_caching": rng.random() < 0.8,
        "enable_chunked_prefill": chunked,
        "long_prefill_token_threshold": 0 if rng.random() < 0.6 else rng.randint(1, max_model_len // 2),
        "scheduling_policy": "priority" if rng.random() < 0.3 else "fcfs",
    }
    prefixes = [[rng.randint(3, 999) for _ in range(rng.randint(block_size, 3 * block_size))] for _ in range(3)]
    requests = []
    for i in range(rng.randint(3, 25)):
        prompt = list(rng.choice(prefixes)) if rng.random() < 0.5 else []
        prompt += [rng.randint(3, 999) for _ in range(rng.randint(1, max_model_len // 2))]
        prompt = prompt[: max_model_len - 1]
        max_tokens = rng.randint(1, max_model_len // 2)
        r = {"request_id": f"r{i}", "arrival_step": rng.randint(0, 30), "prompt_token_ids": prompt,
             "max_tokens": max_tokens}
        if rng.random() < 0.5:
            r["eos_token_id"] = 2
            r["output_token_ids"] = [2 if rng.random() < 0.05 else rng.randint(3, 999) for _ in range(max_tokens)]
        if rng.random() < 0.2:
            r["stop_token_ids"] = [rng.randint(3, 999)]
        if rng.random() < 0.1:
            r["ignore_eos"] = True
        if cfg["scheduling_policy"] == "priority":
            r["priority"] = rng.randint(0, 3)
        if rng.random() < 0.1:
            r["abort_step"] = r["arrival_step"] + rng.randint(0, 20)
        requests.append(r)
    return {"config": cfg, "requests": requests, "max_steps": 5000}


if __name__ == "__main__":
    json.dump(trace(int(sys.argv[1])), sys.stdout)
    print()
