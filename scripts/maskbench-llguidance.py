#!/usr/bin/env python3
"""MaskBench with llguidance on the files written by maskbench-prep.py, for comparison with `apus bench structured`.

Per schema: compile (LLMatcher construction, timed as compile_us); per test: copy the fresh matcher, then per token
fill the mask, check the token's bit, consume it (timed together as one mask time, as runner.py does).
A valid test must be accepted throughout and, unless --no-end-check, be able to end (is_accepting) after its last
token; an invalid one must be rejected somewhere (or, with the end check, be unable to end).
Output: the same JSON lines as apus bench structured --json. One thread.

The tokenizer is llguidance's llama.cpp bridge over the same GGUF the pre-pass tokenized with (llguidance forces the
tokenizer's own tokenization of forced literals, so it needs the real tokenizer). llama_cpp must be importable, e.g.
PYTHONPATH=/tmp/apus-ref/lib/python3.11/site-packages.

Usage: maskbench-llguidance.py PREP_DIR GGUF [--no-end-check] [--limit N]
"""
import argparse
import json
import os
import time

import llama_cpp
import llguidance as llg
import llguidance.llamacpp
from llguidance.numpy import allocate_token_bitmask, fill_next_token_bitmask


def percentiles(values):
    if not values:
        return {}
    s = sorted(values)
    out = {}
    for p in (25, 50, 75, 90, 95, 99):
        out[f"p{p}"] = s[min(len(s) - 1, (len(s) * p) // 100)]
    out["max"] = s[-1]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prep_dir")
    ap.add_argument("gguf")
    ap.add_argument("--no-end-check", action="store_true")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    llm = llama_cpp.Llama(model_path=args.gguf, vocab_only=True, verbose=False)
    tok = llguidance.llamacpp.lltokenizer_from_vocab(llama_cpp.llama_model_get_vocab(llm.model))
    mask = allocate_token_bitmask(1, tok.vocab_size)
    counts = {"passing": 0, "compile_error": 0, "validation_error": 0, "invalidation_error": 0, "timeout": 0}
    all_mask, all_compile = [], []
    with open(os.path.join(args.prep_dir, "tests.jsonl")) as f:
        lines = f.readlines()
    if args.limit:
        lines = lines[: args.limit]
    for line in lines:
        item = json.loads(line)
        grammar = json.dumps({"grammars": [{"json_schema": json.loads(item["schema"])}]})
        t0 = time.monotonic()
        m0 = llg.LLMatcher(tok, grammar)
        compile_us = int((time.monotonic() - t0) * 1e6)
        row = {"schema": item["name"], "compile_us": compile_us, "tokens": 0}
        if m0.is_error():
            row["status"] = "compile_error"
            row["error"] = m0.get_error()[:200]
            counts["compile_error"] += 1
            print(json.dumps(row), flush=True)
            continue
        all_compile.append(compile_us)
        status, mask_us = "passing", []
        for test in item["tests"]:
            m = m0.deep_copy()
            accepted = True
            for t in test["tokens"]:
                t1 = time.monotonic()
                fill_next_token_bitmask(m, mask, 0)
                ok = (int(mask[0, t // 32]) >> (t % 32)) & 1 == 1
                if ok:
                    m.consume_token(t)
                mask_us.append(int((time.monotonic() - t1) * 1e6))
                if not ok:
                    accepted = False
                    break
            if accepted and not args.no_end_check and not m.is_accepting():
                accepted = False
            if accepted != test["valid"]:
                status = "validation_error" if test["valid"] else "invalidation_error"
                break
        counts[status] += 1
        all_mask.extend(mask_us)
        row["status"] = status
        row["tokens"] = len(mask_us)
        ps = percentiles(mask_us)
        row["mask_us_p50"] = ps.get("p50", 0)
        row["mask_us_p99"] = ps.get("p99", 0)
        print(json.dumps(row), flush=True)
    summary = dict(counts)
    summary["mask_us"] = percentiles(all_mask)
    summary["compile_us"] = percentiles(all_compile)
    summary["llguidance"] = llg.__version__
    summary["end_check"] = not args.no_end_check
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
