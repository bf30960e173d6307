"""Multi-LoRA serving through the official OpenAI client, against `apus serve` on the tiny Llama fixture.

Run by Tests/IntegrationTests/LoRAServingTests.swift (scripts/python-tests.sh). The server serves
Tests/Fixtures/models/tiny-llama with `--enable-lora --max-loras 2 --allow-runtime-lora-updating` and the adapters
named in ADAPTERS. APUS_LORA_FIXTURES is Tests/Fixtures/lora/tiny-llama, APUS_BASE_GOLDEN the base model's
golden.json. Every expected token comes from transformers + peft (scripts/fixtures/make_lora_fixtures.py).
"""
import concurrent.futures
import json
import os
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.request

import openai
import pytest

API_KEY = os.environ.get("APUS_API_KEY", "unused")
BASE_URL = os.environ["APUS_BASE_URL"]
FIXTURES = os.environ["APUS_LORA_FIXTURES"]
BASE_GOLDEN = os.environ["APUS_BASE_GOLDEN"]
METRICS_URL = os.environ["APUS_ENGINE_METRICS_URL"]  # the engine-core's /metrics
# Served name -> fixture directory, as the Swift test passes them to --lora-modules.
ADAPTERS = {"r8": "r8-all", "r4": "r4-attn-f16", "rs": "r16-rslora"}

client = openai.OpenAI(base_url=BASE_URL, api_key=API_KEY, max_retries=0)


def golden(fixture):
    with open(os.path.join(FIXTURES, fixture, "golden", "golden.json")) as f:
        return [(c["prompt"], c["greedy"]) for c in json.load(f)["cases"]]


def base_golden():
    with open(BASE_GOLDEN) as f:
        return [(c["prompt"], c["greedy"][:4]) for c in json.load(f)["cases"]]


def base_model():
    return next(m.id for m in client.models.list().data if m.parent is None)


def greedy(model, prompt, n=4):
    r = client.completions.create(model=model, prompt=prompt, max_tokens=n, temperature=0,
                                  extra_body={"ignore_eos": True, "return_token_ids": True})
    assert r.model == model
    return r.choices[0].token_ids


def post(path, body):
    """POSTs JSON to the server root (the load/unload endpoints are not in the OpenAI client)."""
    request = urllib.request.Request(BASE_URL.removesuffix("/v1") + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {API_KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())["error"]["message"]


def cases():
    out = [(base_model(), p, g) for p, g in base_golden()]
    for name, fixture in ADAPTERS.items():
        out += [(name, p, g) for p, g in golden(fixture)]
    return out


def test_models_lists_each_adapter_with_its_parent():
    models = {m.id: m for m in client.models.list().data}
    base = base_model()
    for name, fixture in ADAPTERS.items():
        assert models[name].parent == base
        assert models[name].root.endswith(fixture)


def test_each_adapter_alone_gives_the_tokens_of_transformers_and_peft():
    for model, prompt, expected in cases():
        assert greedy(model, prompt) == expected, model


def test_a_mixed_batch_over_max_loras_gives_each_request_what_it_gets_alone():
    work = cases() * 3
    with concurrent.futures.ThreadPoolExecutor(len(work)) as pool:
        results = list(pool.map(lambda c: greedy(c[0], c[1]), work))
    assert results == [expected for _, _, expected in work]


def test_an_unknown_model_is_404():
    with pytest.raises(openai.NotFoundError) as e:
        client.completions.create(model="no-such-adapter", prompt=[5, 6, 7], max_tokens=2)
    assert "does not exist" in str(e.value)


def test_loading_and_unloading_under_load_loses_no_request():
    stop = threading.Event()
    failures, done = [], [0]
    load_cases = [(base_model(), p, g) for p, g in base_golden()] + [("r8", p, g) for p, g in golden("r8-all")]

    def hammer(k):
        while not stop.is_set():
            model, prompt, expected = load_cases[k % len(load_cases)]
            try:
                got = greedy(model, prompt)
                if got != expected:
                    failures.append((model, got, expected))
            except Exception as e:  # noqa: BLE001 - any failure is a lost request
                failures.append((model, repr(e)))
            done[0] += 1
            k += 1

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    try:
        path = os.path.join(FIXTURES, "r6-all-linear")
        for round_ in range(3):
            status, text = post("/v1/load_lora_adapter", {"lora_name": "late", "lora_path": path})
            assert (status, text) == (200, "Success: LoRA adapter 'late' added successfully.")
            for prompt, expected in golden("r6-all-linear"):
                assert greedy("late", prompt) == expected
            status, text = post("/v1/unload_lora_adapter", {"lora_name": "late"})
            assert (status, text) == (200, "Success: LoRA adapter 'late' removed successfully.")
            with pytest.raises(openai.NotFoundError):
                greedy("late", [5, 6, 7])
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert failures == []
    assert done[0] > 10


def test_bad_adapters_are_refused_at_load_and_serving_goes_on():
    status, message = post("/v1/load_lora_adapter", {"lora_name": "ghost", "lora_path": "/nonexistent/adapter"})
    assert status == 404 and message == "Loading lora ghost failed: No adapter found for /nonexistent/adapter"
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "rank64")
        shutil.copytree(os.path.join(FIXTURES, "r8-all"), bad)
        with open(os.path.join(bad, "adapter_config.json")) as f:
            config = json.load(f)
        config["r"] = 64  # above --max-lora-rank 16 (and no longer the tensors' rank)
        with open(os.path.join(bad, "adapter_config.json"), "w") as f:
            json.dump(config, f)
        status, message = post("/v1/load_lora_adapter", {"lora_name": "big", "lora_path": bad})
        assert status == 400 and message.startswith("Loading lora big failed:"), message
        os.remove(os.path.join(bad, "adapter_model.safetensors"))
        config["r"] = 8
        with open(os.path.join(bad, "adapter_config.json"), "w") as f:
            json.dump(config, f)
        status, message = post("/v1/load_lora_adapter", {"lora_name": "empty", "lora_path": bad})
        assert status == 400 and "adapter_model.safetensors" in message, message
    status, message = post("/v1/load_lora_adapter", {"lora_name": "r8", "lora_path": os.path.join(FIXTURES, "r8-all")})
    assert status == 400 and "already been loaded" in message
    prompt, expected = golden("r8-all")[0]
    assert greedy("r8", prompt) == expected


def test_engine_metrics_name_the_running_adapters():
    """vLLM's vllm:lora_requests_info gauge, which vLLM production-stack's router reads to route by adapter."""
    def info():
        with urllib.request.urlopen(METRICS_URL, timeout=10) as response:
            return [line for line in response.read().decode().splitlines()
                    if line.startswith("vllm:lora_requests_info{")]
    # Requests of "rs" back to back while polling: on the tiny model one lasts well under a second, and the gauge
    # is updated every 100 ms, so a single request could finish between two polls.
    stop = threading.Event()

    def keep_running():
        while not stop.is_set():
            client.completions.create(model="rs", prompt=[5, 6, 7], max_tokens=100, temperature=0,
                                      extra_body={"ignore_eos": True})

    worker = threading.Thread(target=keep_running)
    worker.start()
    try:
        deadline = time.time() + 20
        seen = []
        while time.time() < deadline and not any('running_lora_adapters="rs"' in line for line in seen):
            seen = info()
            time.sleep(0.02)
    finally:
        stop.set()
        worker.join()
    assert any('running_lora_adapters="rs"' in line and 'max_lora="2"' in line for line in seen), seen
    assert len(info()) == 1


def test_an_adapter_that_vanishes_after_its_load_fails_its_request_with_the_runners_reason():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "gone")
        shutil.copytree(os.path.join(FIXTURES, "r2-mlp-bf16"), path)
        assert post("/v1/load_lora_adapter", {"lora_name": "gone", "lora_path": path})[0] == 200
        os.remove(os.path.join(path, "adapter_model.safetensors"))
        with pytest.raises(openai.InternalServerError) as e:
            greedy("gone", [5, 6, 7])
        assert "cannot load LoRA adapter 'gone'" in str(e.value) and "adapter_model.safetensors" in str(e.value)
    assert post("/v1/unload_lora_adapter", {"lora_name": "gone"})[0] == 200
    prompt, expected = golden("r8-all")[0]
    assert greedy("r8", prompt) == expected
