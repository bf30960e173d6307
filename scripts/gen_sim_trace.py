#!/usr/bin/env python3
"""Writes a random `apus sim` trace (stdlib only), to hold Apus' scheduler against vLLM's step by step.

Usage:  python scripts/gen_sim_trace.py SEED [--spec] [--lora] > trace.json
        for s in $(seq 1 50); do python scripts/gen_sim_trace.py $s > t.json;
          diff <(apus sim t.json) <(python scripts/vllm_sim.py t.json) || echo "seed $s differs"; done

The traces stress what differs between schedulers: tight KV pools (preemption), shared prefixes (cache hits
and evictions), chunked prefill on and off, long-prefill thresholds, the priority policy, EOS / stop ids /
max_tokens, and aborts (`abort_step`).

--spec adds speculative decoding to the same trace (drawn after it, so plain traces keep their bytes):
`num_speculative_tokens` k in 1..5 and, for most requests, scripted drafts (`draft_token_ids`) that match the
request's scripted outputs fully, partly or not at all, sometimes with a stop id in them, plus prompts that
end near max_model_len (capped drafts), prompts one token past a cached block boundary (vLLM pads those
admissions to 1 + k), and stop ids a few tokens into the outputs (a stop inside an accepted run).

--lora adds LoRA adapters (drawn last): `max_loras` 1..3 and, for most requests, one of 1..5 adapter names
(`lora_name`), some prompts repeated under another adapter (prefix caching must not hit across adapters).
"""
import json
import random
import sys


def trace(seed, spec=False, lora=False):
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
    t = {"config": cfg, "requests": requests, "max_steps": 5000}
    if spec:
        add_spec(t, rng)  # draws only after the plain trace, so plain traces keep their bytes
    if lora:
        add_lora(t, rng)
    return t


def add_lora(t, rng):
    t["config"]["max_loras"] = rng.randint(1, 3)
    names = [f"adapter{i}" for i in range(rng.randint(1, 5))]
    for r in t["requests"]:
        if rng.random() < 0.8:
            r["lora_name"] = rng.choice(names)
    # The same prompt under another adapter (or none): prefix caching must not hit across adapters.
    extra = []
    for r in t["requests"][: rng.randint(0, 4)]:
        twin = dict(r, request_id=r["request_id"] + "-twin", arrival_step=r["arrival_step"] + rng.randint(0, 10))
        twin.pop("abort_step", None)
        twin.pop("draft_token_ids", None)
        other = rng.choice(names + [None])
        if other is None:
            twin.pop("lora_name", None)
        else:
            twin["lora_name"] = other
        extra.append(twin)
    t["requests"] += extra


def scripted(r, k):
    # The token the sim's runner samples at output position k (vllm_sim.scripted).
    outs = r.get("output_token_ids") or []
    if k < len(outs):
        return outs[k]
    t = 1
    while t == r.get("eos_token_id") or t in (r.get("stop_token_ids") or []):
        t += 1
    return t


def add_spec(t, rng):
    cfg, requests = t["config"], t["requests"]
    bs, mml = cfg["block_size"], cfg["max_model_len"]
    k = cfg["num_speculative_tokens"] = rng.randint(1, 5)
    prefixes = [r["prompt_token_ids"] for r in requests if len(r["prompt_token_ids"]) > bs]
    for r in requests:
        x = rng.random()
        if x < 0.15:
            # Prompt near max_model_len: the scheduler caps the drafts (and the request ends on the length).
            pad = mml - rng.randint(1, k + 2) - len(r["prompt_token_ids"])
            r["prompt_token_ids"] += [rng.randint(3, 999) for _ in range(pad)]
            r["max_tokens"] = max(r["max_tokens"], k + 2)
        elif x < 0.35 and prefixes:
            # Block-aligned prefix of another prompt plus one token: a later cache hit leaves exactly one token,
            # which vLLM pads to 1 + k with -1 drafts.
            p = rng.choice(prefixes)
            r["prompt_token_ids"] = p[: bs * rng.randint(1, (len(p) - 1) // bs)] + [rng.randint(3, 999)]
        outs = r.get("output_token_ids")
        if outs and rng.random() < 0.3:
            # A stop a few tokens in, so that an accepted run can contain it.
            stop = rng.choice([2] + (r.get("stop_token_ids") or []))
            outs[rng.randint(1, min(len(outs), 12) - 1) if len(outs) > 1 else 0] = stop
        if rng.random() < 0.15:
            continue  # no drafts at all
        # Drafts along the path where every draft is scheduled whole: after the j-th sampling step the request
        # has p outputs; a draft matching m tokens moves p on by m + 1. (Caps, budgets and preemptions shift
        # the real path, which just makes more rejections.)
        drafts, p = [], 1
        while p < r["max_tokens"]:
            n = rng.choice([0] + [k] * 3 + list(range(1, k + 1)))
            kind = rng.random()
            m = n if kind < 0.4 else (rng.randint(1, n - 1) if kind < 0.7 and n > 1 else 0)
            d = [scripted(r, p + i) for i in range(n)]
            if m < n:
                # First mismatch: a random token, or a stop id the script does not have there; the tokens after
                # it sometimes still match (they must not count).
                bad = rng.choice([rng.randint(3, 999), 2] + (r.get("stop_token_ids") or []))
                d[m] = bad if bad != d[m] else d[m] + 1
                for i in range(m + 1, n):
                    if rng.random() < 0.5:
                        d[i] = rng.randint(1, 999)
            drafts.append(d)
            p += m + 1
        r["draft_token_ids"] = drafts


if __name__ == "__main__":
    json.dump(trace(int(sys.argv[1]), "--spec" in sys.argv[2:], "--lora" in sys.argv[2:]), sys.stdout)
    print()
