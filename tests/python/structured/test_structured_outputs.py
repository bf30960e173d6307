"""Structured outputs through the official OpenAI Python client, against `apus serve` with a real chat model
(SmolLM2-135M-Instruct): every constrained answer must parse and validate, whatever the model would rather say.

Environment: APUS_BASE_URL, APUS_API_KEY, APUS_MODEL (as tests/python/test_openai_client.py).
"""

import json
import os
import re

import jsonschema
import openai
import pytest

BASE_URL = os.environ["APUS_BASE_URL"]
API_KEY = os.environ.get("APUS_API_KEY") or "unused"

SCHEMAS = [
    {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 20},
            "age": {"type": "integer", "minimum": 0, "maximum": 120},
            "city": {"enum": ["Paris", "Tokyo", "Lima"]},
        },
        "required": ["name", "age", "city"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "properties": {
            "colors": {"type": "array", "items": {"enum": ["red", "green", "blue"]}, "minItems": 1, "maxItems": 3},
            "count": {"type": "integer", "minimum": -5, "maximum": 5},
            "ok": {"type": "boolean"},
        },
        "required": ["colors", "count", "ok"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "properties": {
            "title": {"type": "string", "maxLength": 30},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 10}, "maxItems": 2},
            "rating": {"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 1, "maximum": 5}]},
        },
        "required": ["title", "tags", "rating"],
        "additionalProperties": False,
    },
]

PROMPTS = ["Describe a person as JSON.", "Tell me about your favourite things.", "Give me a short review."]


@pytest.fixture(scope="module")
def client():
    return openai.OpenAI(base_url=BASE_URL, api_key=API_KEY, max_retries=0, timeout=300)


@pytest.fixture(scope="module")
def model(client):
    return os.environ.get("APUS_MODEL") or client.models.list().data[0].id


def chat(client, model, prompt, **kwargs):
    return client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": prompt}], max_tokens=256, **kwargs)


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("prompt", PROMPTS)
def test_json_schema_answers_parse_and_validate(client, model, schema, prompt):
    r = chat(client, model, prompt, temperature=0.8, seed=3,
             response_format={"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}})
    choice = r.choices[0]
    assert choice.finish_reason == "stop", choice.message.content
    jsonschema.validate(json.loads(choice.message.content), schema)


def test_streamed_json_schema_answer_validates(client, model):
    schema = SCHEMAS[0]
    stream = chat(client, model, PROMPTS[0], stream=True,
                  response_format={"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}})
    text, finish = "", None
    for chunk in stream:
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
            finish = chunk.choices[0].finish_reason or finish
    assert finish == "stop", text
    jsonschema.validate(json.loads(text), schema)


def test_json_object_is_an_object(client, model):
    r = chat(client, model, "Reply with a JSON object about cats.", temperature=0.7, seed=1,
             response_format={"type": "json_object"}, max_completion_tokens=400)
    if r.choices[0].finish_reason == "stop":
        assert isinstance(json.loads(r.choices[0].message.content), dict)
    else:  # cut by max_tokens: still a prefix of an object
        assert r.choices[0].message.content.lstrip().startswith("{")


def whitespace_outside_strings(text):
    """The runs of whitespace between JSON tokens (outside string literals)."""
    runs, run, in_string, escaped = [], "", False, False
    for ch in text:
        if in_string:
            in_string = escaped or ch != '"'
            escaped = not escaped and ch == "\\"
        elif ch in " \t\n\r":
            run += ch
            continue
        else:
            in_string = ch == '"'
        if run:
            runs.append(run)
        run = ""
    return runs + ([run] if run else [])


def test_disable_any_whitespace_gives_compact_json(client, model):
    r = chat(client, model, PROMPTS[0], temperature=0.8, seed=5,
             extra_body={"structured_outputs": {"json": SCHEMAS[1], "disable_any_whitespace": True}})
    text = r.choices[0].message.content
    assert r.choices[0].finish_reason == "stop", text
    jsonschema.validate(json.loads(text), SCHEMAS[1])
    assert whitespace_outside_strings(text) == [], text


def test_whitespace_pattern_is_the_only_whitespace(client, model):
    r = chat(client, model, PROMPTS[0], temperature=0.8, seed=6,
             extra_body={"structured_outputs": {"json": SCHEMAS[0], "whitespace_pattern": "[ ]?"}})
    text = r.choices[0].message.content
    assert r.choices[0].finish_reason == "stop", text
    jsonschema.validate(json.loads(text), SCHEMAS[0])
    assert all(run == " " for run in whitespace_outside_strings(text)), text


def test_disable_additional_properties_closes_objects(client, model):
    schema = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 20},
                                               "age": {"type": "integer", "minimum": 0, "maximum": 120}},
              "required": ["name", "age"]}
    r = chat(client, model, PROMPTS[0], temperature=1.0, seed=7,
             extra_body={"structured_outputs": {"json": schema, "disable_additional_properties": True}})
    text = r.choices[0].message.content
    assert r.choices[0].finish_reason == "stop", text
    assert set(json.loads(text)) == {"name", "age"}, text


@pytest.mark.parametrize("pattern", [r"[0-9]{3}-[0-9]{4}", r"(yes|no), because [a-z ]{1,20}\.", r"[A-Z][a-z]+ [A-Z][a-z]+"])
def test_regex_outputs_fully_match(client, model, pattern):
    for seed in range(3):
        r = chat(client, model, "Answer briefly.", temperature=1.0, seed=seed,
                 extra_body={"structured_outputs": {"regex": pattern}})
        assert r.choices[0].finish_reason == "stop"
        assert re.fullmatch(pattern, r.choices[0].message.content), r.choices[0].message.content


def test_choice_outputs_are_one_of_the_choices(client, model):
    choices = ["positive", "negative", "neutral"]
    for seed in range(4):
        r = client.completions.create(
            model=model, prompt="Sentiment of 'I love it':", max_tokens=20, temperature=1.0, seed=seed,
            extra_body={"structured_outputs": {"choice": choices}})
        assert r.choices[0].text in choices


def test_gbnf_grammar(client, model):
    grammar = 'root ::= "The answer is " digit digit? "."\ndigit ::= [0-9]'
    r = chat(client, model, "What is 6 times 7?", temperature=0,
             extra_body={"structured_outputs": {"grammar": grammar}})
    assert re.fullmatch(r"The answer is [0-9]{1,2}\.", r.choices[0].message.content)


@pytest.mark.parametrize("bad", [
    {"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"$ref": "#/$defs/missing"}}}},
    {"extra_body": {"structured_outputs": {"regex": "([0-9]"}}},
    {"extra_body": {"structured_outputs": {"grammar": "root ::= missing"}}},
    {"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "minLength": 5, "maxLength": 2}}}},
    {"extra_body": {"structured_outputs": {"json": {"type": "object"}, "whitespace_pattern": "("}}},
])
def test_malformed_constraints_are_400s(client, model, bad):
    with pytest.raises(openai.BadRequestError) as raised:
        chat(client, model, "Hi", **bad)
    assert raised.value.status_code == 400
    if "whitespace_pattern" in json.dumps(bad):
        assert "whitespace_pattern" in str(raised.value)


TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather", "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 20},
                                                         "unit": {"enum": ["celsius", "fahrenheit"]}},
                       "required": ["city", "unit"], "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "get_time", "description": "The time in a time zone.",
        "parameters": {"type": "object", "properties": {"zone": {"type": "string", "maxLength": 20}},
                       "required": ["zone"], "additionalProperties": False}}},
]


def check_calls(message):
    assert message.tool_calls, message
    by_name = {t["function"]["name"]: t["function"]["parameters"] for t in TOOLS}
    for call in message.tool_calls:
        assert call.function.name in by_name
        jsonschema.validate(json.loads(call.function.arguments), by_name[call.function.name])
    return message.tool_calls


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tool_choice_required_yields_calls_to_declared_tools(client, model, seed):
    r = chat(client, model, "What is the weather in Paris?", tools=TOOLS, tool_choice="required",
             temperature=0.8, seed=seed)
    check_calls(r.choices[0].message)


def test_named_tool_choice_calls_that_function(client, model):
    r = chat(client, model, "What time is it in Tokyo?", tools=TOOLS,
             tool_choice={"type": "function", "function": {"name": "get_time"}}, temperature=0.5, seed=4)
    calls = check_calls(r.choices[0].message)
    assert [c.function.name for c in calls] == ["get_time"]
