"""Greedy outputs with speculative decoding equal the outputs without it, through the official OpenAI client.

Run by Tests/IntegrationTests/SpeculativeDecodingTests.swift (scripts/python-tests.sh) against `apus serve` with a
real chat model (SmolLM2): APUS_BASE_URL is a server without speculation; APUS_SPEC_BASE_URLS lists servers with
it (comma-separated), and APUS_SPEC_METRICS_URLS their engine-cores' /metrics, in the same order.
"""
import os
import random
import re
import urllib.request

import openai
import pytest

API_KEY = os.environ.get("APUS_API_KEY", "unused")
PLAIN = os.environ["APUS_BASE_URL"]
SPEC = [u for u in os.environ.get("APUS_SPEC_BASE_URLS", "").split(",") if u]
METRICS = [u for u in os.environ.get("APUS_SPEC_METRICS_URLS", "").split(",") if u]

WORDS = ("the cache router engine token model stream batch request prefix block decode prefill queue "
         "river mountain garden window orange silver quiet rapid").split()


def prompts():
    rng = random.Random(13)
    out = []
    for i in range(8):  # copying exercises: the answer repeats the prompt, so drafts are accepted
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30)))
        out.append(f"Copy each text exactly.\nText: the quick brown fox\nCopy: the quick brown fox\nText: {text}\nCopy:")
    out += [  # ordinary prompts: few or no drafts match
        "The capital of France is",
        "def fibonacci(n):\n    ",
        "Once upon a time, in a small village,",
        "List three colors: red,",
        "1, 2, 3, 4, 5,",
        "Translate to French: good morning ->",
        "The three laws of robotics are",
        "import numpy as np\nx = np.arange(10)\n",
    ]
    return out


def complete(base, prompt, max_tokens=48):
    client = openai.OpenAI(base_url=base, api_key=API_KEY)
    r = client.completions.create(model=client.models.list().data[0].id, prompt=prompt, max_tokens=max_tokens,
                                  temperature=0)
    return r.choices[0].text


def all_completions(base):
    # One at a time: with quantized weights, a step that batches several requests (or a prefill chunk with
    # decodes) runs other kernels, so greedy output depends on the batch, with or without speculation. Alone, a
    # request's 1 + k verification rows give exactly the logits its one-token decode steps give (batch-invariant
    # kernels up to 8 rows), which is what this checks. Batches of requests are checked on f32 weights in
    # Tests/ModelRuntimeTests (ModelRunnerSpecDecodeTests).
    return [complete(base, p) for p in prompts()]


@pytest.fixture(scope="module")
def plain():
    return all_completions(PLAIN)


@pytest.mark.parametrize("index", range(len(SPEC)))
def test_greedy_outputs_are_identical(plain, index):
    spec = all_completions(SPEC[index])
    same = sum(a == b for a, b in zip(plain, spec))
    for k, (a, b) in enumerate(zip(plain, spec)):
        assert a == b, f"prompt {k}: without speculation {a!r}, with {b!r} ({same}/{len(plain)} equal)"


@pytest.mark.parametrize("index", range(len(METRICS)))
def test_drafts_were_accepted(index):
    text = urllib.request.urlopen(METRICS[index], timeout=10).read().decode()

    def total(name):
        m = re.search(rf"^{name}_total\{{[^}}]*\}} ([0-9.e+]+)$", text, re.M)
        return float(m.group(1)) if m else 0.0

    drafted = total("vllm:spec_decode_num_draft_tokens")
    accepted = total("vllm:spec_decode_num_accepted_tokens")
    assert total("vllm:spec_decode_num_drafts") > 0, text[:2000]
    assert 0 < accepted <= drafted
    assert "vllm:spec_decode_num_accepted_tokens_per_pos_total" in text
