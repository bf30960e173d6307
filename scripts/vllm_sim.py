#!/usr/bin/env python3
"""Replays an `apus sim` trace through vLLM's real V1 Scheduler and prints the same per-step JSON lines.

Usage:  python scripts/vllm_sim.py TRACE.json [MORE.json ...]   (needs `pip install vllm==0.33.0` in the interpreter's env)

No model is loaded: a throwaway directory with a tiny Llama config.json stands in for the model, and the
fake runner returns scripted tokens exactly as Apus' TraceSimulator does (see Sources/Scheduling/
TraceSimulator.swift): synchronous scheduling; a request with arrival_step k is added just before the k-th
schedule(), in trace order; a request still prefilling gets no token; otherwise the next scripted token, or
the smallest id >= 1 that is neither its EOS nor a stop id. Compare the two outputs line by line
(scripts/compare_sim.py does it numerically for kv_usage).

LoRA: `config.max_loras` turns on vLLM's LoRA config, and `requests[i].lora_name` gives a request an adapter (no
weights: the scheduler only counts adapters and hashes their names). Apus' simulator then applies vLLM's
max_loras rule alone (no starvation bound) unless the trace sets `lora_starvation_steps`.

Speculative decoding: `config.num_speculative_tokens` k > 0 turns on vLLM's `ngram` method (no draft model, no
extra slots), and `requests[i].draft_token_ids[j]` is the draft proposed for the request after the j-th step in
which it received tokens (counted across preemptions; missing = no draft). The runner accepts the scheduled
drafts (`scheduled_spec_decode_tokens`, padding -1 included) while they equal the scripted tokens, and returns
those plus one more scripted token; the drafts go in through `update_draft_token_ids` after
`update_from_output`, as EngineCore.post_step does. With k > 0 each line also has `"spec"` (the scheduled
drafts, after `"scheduled"`) and `"accepted"` (accepted drafts per request that had some, before
`"kv_usage"`); with k = 0 lines are as before. vLLM 0.33.0 fails an assertion in schedule() when an admission
padded to 1 + k meets a long_prefill_token_threshold below 1 + k; such traces cannot be recorded.

No GPU needed. A CPU-only environment that reproduces the recorded fixtures (vLLM's _C extension does not load
against torch 2.13; the scheduler never needs it):
    python3.11 -m venv /tmp/vllm033 && V=/tmp/vllm033/bin
    $V/pip install torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl
    $V/pip install --no-deps vllm-0.33.0-cp38-abi3-manylinux_2_28_x86_64.whl
    echo 'torch==2.13.0+cpu' > c.txt   # keeps pip from pulling vLLM's CUDA torch
    $V/pip install -c c.txt regex cachetools psutil numpy 'requests>=2.33.0' tqdm blake3 py-cpuinfo \
        'transformers>=5.16.1,<5.21.0' 'pydantic>=2.12.0' msgspec pyzmq pyyaml cloudpickle 'openai>=2.25.0' \
        sentencepiece einops cbor2 aiohttp openai-harmony pillow pybase64 uvloop prometheus_client \
        'xgrammar==0.2.8' 'fastapi>=0.133.0,<0.137.0' partial-json-parser 'llguidance>=1.7.0,<1.8.0'
"""
import json
import os
import sys
import tempfile

os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
os.environ.setdefault("VLLM_TARGET_DEVICE", "cpu")

import torch  # noqa: E402
from vllm.config import (  # noqa: E402
    CacheConfig, LoRAConfig, ModelConfig, ParallelConfig, SchedulerConfig, SpeculativeConfig, VllmConfig)
from vllm.lora.request import LoRARequest  # noqa: E402
from vllm.sampling_params import SamplingParams  # noqa: E402
from vllm.utils.hashing import sha256  # noqa: E402
from vllm.v1.core.kv_cache_utils import get_request_block_hasher, init_none_hash  # noqa: E402
from vllm.v1.core.sched.scheduler import Scheduler  # noqa: E402
from vllm.v1.kv_cache_interface import FullAttentionSpec, KVCacheConfig, KVCacheGroupSpec  # noqa: E402
from vllm.v1.outputs import DraftTokenIds, ModelRunnerOutput  # noqa: E402
from vllm.v1.request import Request, RequestStatus  # noqa: E402
from vllm.v1.structured_output import StructuredOutputManager  # noqa: E402

TINY_LLAMA = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
    "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 2, "head_dim": 16,
    "vocab_size": 100000, "max_position_embeddings": 1 << 20, "rms_norm_eps": 1e-5, "eos_token_id": 2,
    "bos_token_id": 0, "torch_dtype": "float32", "rope_theta": 10000.0,
}


def make_scheduler(cfg):
    block_size = cfg.get("block_size", 16)
    max_model_len = cfg["max_model_len"]
    model_dir = tempfile.mkdtemp(prefix="vllm-sim-model-")
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(TINY_LLAMA, f)
    scheduler_config = SchedulerConfig(
        max_num_seqs=cfg.get("max_num_seqs", 256),
        max_num_batched_tokens=cfg.get("max_num_batched_tokens", 2048),
        max_model_len=max_model_len,
        long_prefill_token_threshold=cfg.get("long_prefill_token_threshold", 0),
        enable_chunked_prefill=cfg.get("enable_chunked_prefill", True),
        policy=cfg.get("scheduling_policy", "fcfs"),
        is_encoder_decoder=False,
        async_scheduling=False,
    )
    model_config = ModelConfig(
        model=model_dir, dtype="float32", seed=0, skip_tokenizer_init=True, max_model_len=max_model_len)
    cache_config = CacheConfig(
        block_size=block_size, gpu_memory_utilization=0.9, cache_dtype="auto",
        enable_prefix_caching=cfg.get("enable_prefix_caching", True))
    parallel_config = ParallelConfig()
    spec_config = None
    if cfg.get("num_speculative_tokens", 0) > 0:
        # ngram needs no draft model (it reuses the target's config): draft_slots 0, num_lookahead_tokens 0.
        spec_config = SpeculativeConfig(
            method="ngram", num_speculative_tokens=cfg["num_speculative_tokens"],
            target_model_config=model_config, target_parallel_config=parallel_config)
    lora_config = LoRAConfig(max_loras=cfg["max_loras"], max_lora_rank=16) if cfg.get("max_loras") else None
    vllm_config = VllmConfig(
        scheduler_config=scheduler_config, model_config=model_config, cache_config=cache_config,
        parallel_config=parallel_config, speculative_config=spec_config, lora_config=lora_config)
    num_blocks = cfg["num_gpu_blocks"]
    kv_cache_config = KVCacheConfig(
        num_blocks=num_blocks, kv_cache_tensors=[],
        kv_cache_groups=[KVCacheGroupSpec(["layer"], FullAttentionSpec(
            block_size=block_size, num_kv_heads=1, head_size=1, dtype=torch.float32))])
    cache_config.num_gpu_blocks = num_blocks
    sched = Scheduler(
        vllm_config=vllm_config, kv_cache_config=kv_cache_config, log_stats=True,
        structured_output_manager=StructuredOutputManager(vllm_config), block_size=block_size)
    assert sched.num_spec_tokens == cfg.get("num_speculative_tokens", 0)
    return sched, block_size


def default_token(r):
    t = 1
    while t == r.get("eos_token_id") or t in (r.get("stop_token_ids") or []):
        t += 1
    return t


def scripted(r, k):
    outs = r.get("output_token_ids") or []
    return outs[k] if k < len(outs) else default_token(r)


LORA_IDS = {}  # adapter name -> lora_int_id (vLLM counts from 1)


def make_request(r, arrival, hasher):
    sp = SamplingParams(
        max_tokens=r["max_tokens"], min_tokens=r.get("min_tokens", 0), stop_token_ids=r.get("stop_token_ids"),
        ignore_eos=r.get("ignore_eos", False))
    if r.get("eos_token_id") is not None and not r.get("ignore_eos", False):
        sp._eos_token_id = r["eos_token_id"]
        sp._all_stop_token_ids.add(r["eos_token_id"])
    lora = None
    if r.get("lora_name"):
        name = r["lora_name"]
        lora = LoRARequest(name, LORA_IDS.setdefault(name, len(LORA_IDS) + 1), f"/adapters/{name}")
    return Request(
        request_id=r["request_id"], prompt_token_ids=list(r["prompt_token_ids"]), sampling_params=sp,
        pooling_params=None, arrival_time=float(arrival), priority=r.get("priority", 0), block_hasher=hasher,
        lora_request=lora)


def q(s):
    return json.dumps(s)


def obj(pairs):
    return "{" + ", ".join(f"{q(k)}: {v}" for k, v in pairs) + "}"


def arr(items):
    return "[" + ", ".join(q(x) for x in items) + "]"


def run(trace):
    cfg = trace["config"]
    sched, block_size = make_scheduler(cfg)
    init_none_hash(sha256)
    hasher = get_request_block_hasher(block_size, sha256)
    reqs = trace["requests"]
    script = {r["request_id"]: r for r in reqs}
    arrivals = sorted(enumerate(reqs), key=lambda x: (x[1]["arrival_step"], x[0]))
    nxt = 0
    lines = []
    max_steps = trace.get("max_steps", 100000)
    # Track preemption order by wrapping _preempt_request.
    preempted_order = []
    orig_preempt = sched._preempt_request

    def preempt(request, *a, **k):
        preempted_order.append(request.request_id)
        return orig_preempt(request, *a, **k)

    sched._preempt_request = preempt
    live = set()
    spec_on = cfg.get("num_speculative_tokens", 0) > 0
    num_drafts = {}  # request -> steps in which it received tokens (index into its draft_token_ids)
    for step in range(max_steps):
        while nxt < len(arrivals) and arrivals[nxt][1]["arrival_step"] <= step:
            i, r = arrivals[nxt]
            sched.add_request(make_request(r, i, hasher))
            live.add(r["request_id"])
            nxt += 1
        finished = []
        aborts = [r["request_id"] for r in reqs if r.get("abort_step") == step and r["request_id"] in live]
        for rid in aborts:
            finished.append((rid, q("abort")))
            live.discard(rid)
        if aborts:
            sched.finish_requests(aborts, RequestStatus.FINISHED_ABORTED)
        if nxt == len(arrivals) and not live:
            break
        preempted_order.clear()
        out = sched.schedule()
        order = list(out.num_scheduled_tokens.keys())
        spec = out.scheduled_spec_decode_tokens
        sampled = []
        accepted = []
        for rid in order:
            req = sched.requests[rid]
            if req.num_computed_tokens < req.num_tokens:
                sampled.append([])
                continue
            # A rejection sampler that samples the scripted tokens: drafts are accepted while they match the
            # script (padding -1 never does), then one more scripted token (the bonus or the correction).
            t, k, s = script[rid], req.num_output_tokens, spec.get(rid, [])
            n = 0
            while n < len(s) and s[n] == scripted(t, k + n):
                n += 1
            sampled.append([scripted(t, k + i) for i in range(n + 1)])
            if rid in spec:
                accepted.append((rid, n))
        mro = ModelRunnerOutput(
            req_ids=order, req_id_to_index={rid: i for i, rid in enumerate(order)}, sampled_token_ids=sampled,
            logprobs=None, prompt_logprobs_dict={}, pooler_output=[])
        eco = sched.update_from_output(out, mro)
        for outs in eco.values():
            for o in outs.outputs:
                if o.finish_reason is not None:
                    finished.append((o.request_id, q(str(o.finish_reason))))
                    live.discard(o.request_id)
        if spec_on:
            # EngineCore.post_step (synchronous): the proposer's draft for each scheduled request, the next one
            # from its script if it received tokens this step (vLLM drops drafts after prefill chunks anyway).
            drafts = []
            for rid, toks in zip(order, sampled):
                j = num_drafts.get(rid, 0)
                dl = script[rid].get("draft_token_ids") or []
                drafts.append(list(dl[j]) if toks and j < len(dl) else [])
                num_drafts[rid] = j + 1 if toks else j
            sched.update_draft_token_ids(DraftTokenIds(req_ids=order, draft_token_ids=drafts))
        free = sched.kv_cache_manager.block_pool.get_num_free_blocks()
        usage = 1.0 - free / (cfg["num_gpu_blocks"] - 1)
        cached = out.scheduled_cached_reqs
        resumed = [rid for rid in cached.req_ids if rid in cached.resumed_req_ids]
        line = "{" + f'"step": {step}, "scheduled": ' + obj((rid, out.num_scheduled_tokens[rid]) for rid in order)
        if spec_on:
            line += ', "spec": ' + obj((rid, arr(spec[rid])) for rid in order if rid in spec)
        line += ', "new": ' + arr(r.req_id for r in out.scheduled_new_reqs)
        line += ', "resumed": ' + arr(resumed)
        line += ', "preempted": ' + arr(preempted_order)
        line += ', "finished": ' + obj(finished)
        line += ', "num_cached_tokens": ' + obj((r.req_id, r.num_computed_tokens) for r in out.scheduled_new_reqs)
        if spec_on:
            line += ', "accepted": ' + obj(accepted)
        line += f', "kv_usage": {usage!r}, "free_blocks": {free}' + "}"
        lines.append(line)
    return lines


if __name__ == "__main__":
    # One trace: lines to stdout. Several: each trace's lines go to TRACE.vllm beside it (one vLLM import).
    # A trace vLLM itself cannot run (an assertion inside its scheduler: see gen_sim_trace.py) gets TRACE.vllm-error
    # instead, and the others go on.
    paths = sys.argv[1:]
    for path in paths:
        with open(path) as f:
            trace = json.load(f)
        if len(paths) == 1:
            lines = run(trace)
        else:
            try:
                lines = run(trace)
            except AssertionError as e:
                with open(path + ".vllm-error", "w") as f:
                    f.write(f"vLLM failed: AssertionError {e}\n")
                continue
        if len(paths) == 1:
            print("\n".join(lines))
        else:
            with open(path + ".vllm", "w") as f:
                f.write("\n".join(lines) + "\n")
