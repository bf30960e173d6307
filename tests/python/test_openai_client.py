"""The official OpenAI Python client against a running Apus api.

Environment: APUS_BASE_URL (e.g. http://127.0.0.1:8000/v1), APUS_API_KEY (the key the api was started with;
the wrong-key test is skipped without one), APUS_MODEL (default: the first model /v1/models lists).

The embedded model has random weights: these tests check shapes, counts, determinism and errors, never the
content of the text.
"""

import os
import re

import openai
import pytest

BASE_URL = os.environ["APUS_BASE_URL"]
API_KEY = os.environ.get("APUS_API_KEY") or "unused"


@pytest.fixture(scope="module")
def client():
    return openai.OpenAI(base_url=BASE_URL, api_key=API_KEY, max_retries=0, timeout=120)


@pytest.fixture(scope="module")
def model(client):
    return os.environ.get("APUS_MODEL") or client.models.list().data[0].id


def test_models_lists_the_served_model(client, model):
    assert model in [m.id for m in client.models.list().data]


def test_completion_returns_text_finish_reason_and_usage(client, model):
    r = client.completions.create(model=model, prompt="The quick brown fox", max_tokens=8)
    assert len(r.choices) == 1
    choice = r.choices[0]
    assert isinstance(choice.text, str)
    assert choice.finish_reason in ("length", "stop")
    assert 0 < r.usage.completion_tokens <= 8
    assert r.usage.prompt_tokens > 0
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_streaming_completion_matches_the_same_seeded_request(client, model):
    args = dict(model=model, prompt="Once upon a time", max_tokens=12, seed=7, temperature=1.0)
    whole = client.completions.create(**args)
    chunks = list(client.completions.create(**args, stream=True, stream_options={"include_usage": True}))
    text = "".join(c.choices[0].text for c in chunks if c.choices)
    assert text == whole.choices[0].text
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == [whole.choices[0].finish_reason]
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens


def test_chat_completion(client, model):
    r = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Say hello"}], max_tokens=10)
    assert r.object == "chat.completion"
    assert r.choices[0].message.role == "assistant"
    assert isinstance(r.choices[0].message.content, str)
    assert r.choices[0].finish_reason in ("length", "stop")
    assert 0 < r.usage.completion_tokens <= 10


def test_streaming_chat_completion(client, model):
    args = dict(model=model, messages=[{"role": "user", "content": "Count to three"}], max_tokens=10, seed=3)
    whole = client.chat.completions.create(**args)
    chunks = list(client.chat.completions.create(**args, stream=True, stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens


def test_n_equals_two_returns_two_choices(client, model):
    r = client.completions.create(model=model, prompt="Hello", max_tokens=5, n=2, seed=11)
    assert sorted(c.index for c in r.choices) == [0, 1]
    assert 0 < r.usage.completion_tokens <= 10
    chat = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Hi"}], max_tokens=4, n=2)
    assert sorted(c.index for c in chat.choices) == [0, 1]


def test_seeded_request_returns_the_same_text_twice(client, model):
    args = dict(model=model, prompt="In a distant galaxy", max_tokens=16, seed=1234, temperature=1.0)
    first = client.completions.create(**args).choices[0].text
    second = client.completions.create(**args).choices[0].text
    assert first == second


def test_stop_string_truncates_and_reports_it(client, model):
    for seed in range(20):
        args = dict(model=model, prompt="The answer is", max_tokens=24, seed=seed, temperature=1.0)
        text = client.completions.create(**args).choices[0].text
        found = re.search(r"[A-Za-z]{2}", text[2:])
        if not found:
            continue
        stop = found.group(0)
        r = client.completions.create(**args, stop=[stop])
        choice = r.choices[0]
        assert choice.finish_reason == "stop"
        assert choice.model_extra.get("stop_reason") == stop
        assert choice.text == text[: text.find(stop)]
        assert stop not in choice.text
        return
    pytest.skip("no seed produced two ASCII letters in a row")


def test_completion_logprobs(client, model):
    r = client.completions.create(model=model, prompt="Hello", max_tokens=6, logprobs=2)
    lp = r.choices[0].logprobs
    n = r.usage.completion_tokens
    assert len(lp.tokens) == len(lp.token_logprobs) == len(lp.top_logprobs) == len(lp.text_offset) == n
    assert all(v <= 0 for v in lp.token_logprobs)
    assert all(1 <= len(top) <= 3 for top in lp.top_logprobs)
    assert lp.text_offset == sorted(lp.text_offset)


def test_completion_echo_with_logprobs_scores_the_prompt(client, model):
    # What lm-eval-harness sends for loglikelihood: the prompt echoed with its logprobs, one token generated.
    prompt = "The quick brown fox jumps"
    r = client.completions.create(model=model, prompt=prompt, max_tokens=1, echo=True, logprobs=1, temperature=0)
    choice = r.choices[0]
    assert choice.text.startswith(prompt)
    lp = choice.logprobs
    n = r.usage.prompt_tokens + r.usage.completion_tokens
    assert len(lp.tokens) == len(lp.token_logprobs) == len(lp.top_logprobs) == len(lp.text_offset) == n
    assert lp.token_logprobs[0] is None and lp.top_logprobs[0] is None
    assert all(v <= 0 for v in lp.token_logprobs[1:])
    assert lp.text_offset == sorted(lp.text_offset)


def test_chat_logprobs(client, model):
    r = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Hi"}], max_tokens=6, logprobs=True, top_logprobs=2)
    content = r.choices[0].logprobs.content
    assert len(content) == r.usage.completion_tokens
    for entry in content:
        assert entry.logprob <= 0
        assert isinstance(entry.bytes, list)
        assert len(entry.top_logprobs) == 2


def test_bad_parameter_raises_bad_request(client, model):
    with pytest.raises(openai.BadRequestError) as info:
        client.completions.create(model=model, prompt="Hi", max_tokens=4, temperature=5.0)
    assert "temperature" in str(info.value)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hi"}], top_p=0)


def test_unknown_model_raises_not_found(client):
    with pytest.raises(openai.NotFoundError):
        client.completions.create(model="no-such-model", prompt="Hi", max_tokens=2)


@pytest.mark.skipif("APUS_API_KEY" not in os.environ, reason="the api was started without --api-key")
def test_wrong_api_key_raises_authentication_error(model):
    wrong = openai.OpenAI(base_url=BASE_URL, api_key="definitely-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.completions.create(model=model, prompt="Hi", max_tokens=2)
