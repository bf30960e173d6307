#!/usr/bin/env python3
"""Records vLLM 0.33's n-gram proposer choices on random token sequences, as a test fixture for Apus' NgramProposer.

Usage:  python scripts/ngram-reference.py VLLM_SRC_DIR > Tests/Fixtures/speculative/ngram-vllm-0.33.json
        (VLLM_SRC_DIR: an unpacked vLLM 0.33.0 wheel, e.g. `pip download --no-deps vllm==0.33.0` then unzip)

Needs numpy only: vLLM's `_find_longest_matched_ngram_and_propose_tokens` is read from
vllm/v1/spec_decode/ngram_proposer.py and run as plain Python (its numba `@jit` only compiles it).
"""
import ast
import json
import random
import sys

import numpy as np

src_dir = sys.argv[1]
path = f"{src_dir}/vllm/v1/spec_decode/ngram_proposer.py"
tree = ast.parse(open(path).read())
fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef)
          and n.name == "_find_longest_matched_ngram_and_propose_tokens")
fn.decorator_list = []
namespace = {"np": np}
exec(compile(ast.Module(body=[fn], type_ignores=[]), path, "exec"), namespace)
propose = namespace["_find_longest_matched_ngram_and_propose_tokens"]

rng = random.Random(33)
cases = []
for i in range(400):
    n = rng.randint(1, 60)
    alphabet = rng.choice([2, 3, 5, 20])
    tokens = [rng.randint(1, alphabet) for _ in range(n)]
    if rng.random() < 0.3:  # plant a repeat of the tail
        m = rng.randint(1, 8)
        tokens = tokens + tokens[:m] + tokens[-m:]
    lo = rng.randint(1, 4)
    hi = rng.randint(lo, 6)
    k = rng.randint(1, 6)
    max_model_len = len(tokens) + rng.randint(0, 8)
    out = propose(np.array(tokens, dtype=np.int32), lo, hi, max_model_len, k)
    cases.append({"tokens": tokens, "min_n": lo, "max_n": hi, "k": k, "max_model_len": max_model_len,
                  "drafts": [int(x) for x in out]})
json.dump({"source": "vLLM 0.33.0 vllm/v1/spec_decode/ngram_proposer.py", "cases": cases}, sys.stdout)
print()
