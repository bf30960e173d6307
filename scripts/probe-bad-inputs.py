#!/usr/bin/env python3
"""Seeded bad-input probe of a running Apus api (issue: reliability campaign).

Sends N malformed, type-confused and extreme OpenAI request bodies to /v1/completions and /v1/chat/completions
(huge n, max_tokens and logprobs, nested junk, wrong types, broken JSON, unicode, long arrays), then one normal
request. Fails (exit 1) on any 5xx, any connection error, a normal request that does not succeed afterwards, or an
api whose resident memory (--api-pid) grew past --max-rss-mb. Prints the answers by status.

  scripts/probe-bad-inputs.py --base http://127.0.0.1:8000 --model embedded --count 10000 --seed 1 [--api-pid PID]
"""
import argparse
import collections
import json
import random
import sys
import urllib.error
import urllib.request

FIELDS = [
    "n", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "min_p", "logprobs",
    "top_logprobs", "prompt_logprobs", "presence_penalty", "frequency_penalty", "repetition_penalty", "seed",
    "stop", "stop_token_ids", "logit_bias", "allowed_token_ids", "min_tokens", "best_of", "echo", "stream",
    "stream_options", "ignore_eos", "skip_special_tokens", "response_format", "tools", "tool_choice", "user",
    "suffix", "include_stop_str_in_output", "add_generation_prompt", "chat_template_kwargs",
]

EXTREMES = [
    0, -1, 1, 2, 127, 128, 129, 10**6, 10**12, 2**31, 2**63 - 1, -(2**63), 2**64, 1e308, -1e308, 1e-320, 0.5, -0.0,
    float("nan"), float("inf"), "", "x", "1", "null", " ", "\u0000", "é" * 1000, True, False, None, [], {}, [1] * 1000,
    {"a": {"b": {"c": [None, 1, "x"]}}}, [[[[[]]]]], ["stop"] * 500, {"1": 100, "2": -100}, {"999999999": 5},
]


def junk(rng, depth=0):
    kind = rng.randrange(7 if depth < 4 else 4)
    if kind == 0:
        return rng.choice(EXTREMES)
    if kind == 1:
        return rng.randint(-(2**40), 2**40)
    if kind == 2:
        return "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(rng.randrange(0, 40)))
    if kind == 3:
        return rng.random() * 10 ** rng.randrange(-5, 40)
    if kind == 4:
        return [junk(rng, depth + 1) for _ in range(rng.randrange(0, 6))]
    if kind == 5:
        return {rng.choice(FIELDS + ["role", "content", "type", "x"]): junk(rng, depth + 1) for _ in range(rng.randrange(0, 6))}
    return None


def messages(rng, model):
    choice = rng.randrange(6)
    if choice == 0:
        return [{"role": "user", "content": "Hi"}]
    if choice == 1:
        return junk(rng)
    if choice == 2:
        return [{"role": rng.choice(["user", "system", "assistant", "tool", "x", 5]), "content": junk(rng)}
                for _ in range(rng.randrange(0, 8))]
    if choice == 3:
        return [{"role": "user", "content": [{"type": rng.choice(["text", "image_url", "x"]), "text": junk(rng)}]}]
    if choice == 4:
        return [{"role": "user", "content": "Hi"}] * rng.choice([1, 100, 3000])
    return [{"role": "assistant", "tool_calls": junk(rng)}, {"role": "tool", "content": junk(rng)}]


def body(rng, model, chat):
    b = {"model": model if rng.random() < 0.9 else junk(rng)}
    if chat:
        b["messages"] = messages(rng, model)
    else:
        b["prompt"] = rng.choice(["Hi", "", junk(rng), [1, 2, 3], [[1, 2], [3]], [10**9], ["a", "b"], "x" * 20000])
    for field in rng.sample(FIELDS, rng.randrange(0, 6)):
        b[field] = junk(rng)
    if rng.random() < 0.3:
        b["n"] = rng.choice([1, 2, 128, 129, 10**6, 10**9, -5])
        b["temperature"] = 1
    if rng.random() < 0.2:
        b["max_tokens"] = rng.choice([1, 4, 10**6, 2**31, -1])
    # Keep the cluster's work small: bounded outputs unless a field says otherwise.
    b.setdefault("max_tokens", 4)
    text = json.dumps(b, allow_nan=True)
    mutate = rng.random()
    if mutate < 0.05:
        text = text[: rng.randrange(len(text) + 1)]
    elif mutate < 0.08:
        text = text.replace(",", ",,", 1)
    elif mutate < 0.1:
        text = "[" + text + "]"
    return text


def post(base, path, data, key, timeout):
    request = urllib.request.Request(base + path, data=data.encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", "Bearer " + key)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", default="http://127.0.0.1:8000")
    p.add_argument("--model", default="embedded")
    p.add_argument("--key", default="")
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--api-pid", type=int)
    p.add_argument("--max-rss-mb", type=float, default=1024)
    args = p.parse_args()
    rng = random.Random(args.seed)
    statuses = collections.Counter()
    failures = []
    peak = 0.0
    for i in range(args.count):
        chat = rng.random() < 0.5
        path = "/v1/chat/completions" if chat else "/v1/completions"
        data = body(rng, args.model, chat)
        try:
            status = post(args.base, path, data, args.key, args.timeout)
        except Exception as error:  # a reset or refused connection is a failure too
            status = f"error {type(error).__name__}"
        statuses[status] += 1
        if not isinstance(status, int) or status >= 500:
            failures.append((i, path, status, data[:300]))
        if args.api_pid and i % 100 == 0:
            peak = max(peak, rss_mb(args.api_pid))
    normal = post(args.base, "/v1/completions", json.dumps({"model": args.model, "prompt": "Hi", "max_tokens": 4}),
                  args.key, args.timeout)
    print(f"{args.count} bad bodies (seed {args.seed}): " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str)))
    print(f"a normal request afterwards: {normal}")
    if args.api_pid:
        peak = max(peak, rss_mb(args.api_pid))
        print(f"api resident memory: peak {peak:.1f} MB (limit {args.max_rss_mb} MB)")
    for failure in failures[:20]:
        print("FAILED", failure)
    ok = not failures and normal == 200 and (not args.api_pid or peak <= args.max_rss_mb)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
