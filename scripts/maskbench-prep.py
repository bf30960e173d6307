#!/usr/bin/env python3
"""MaskBench pre-pass: SmolLM2's vocabulary as bytes, and each MaskBench file's tests serialized and tokenized.

Serialization and tokenization follow guidance-ai/jsonschemabench maskbench/maskbench/runner.py:
json.dumps(data, indent=None, ensure_ascii=False), tokens without special tokens.
Tokenization uses llama.cpp's tokenizer for the GGUF (the runner uses the Hugging Face tokenizer).

Usage: maskbench-prep.py GGUF DATA_DIR OUT_DIR [--every N]
Writes OUT_DIR/vocab.json ({"eos": id, "special": [ids], "tokens": [hex bytes]})
and OUT_DIR/tests.jsonl (one line per file: {"name", "schema" (JSON text), "tests": [{"valid", "text", "tokens"}]}).
"""
import argparse
import json
import os

import gguf
import llama_cpp


def byte_decoder():
    """GPT-2's byte-level alphabet, reversed: printable stand-in character -> byte."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def read_vocab(path):
    reader = gguf.GGUFReader(path)
    field = reader.fields["tokenizer.ggml.tokens"]
    tokens = [bytes(field.parts[i]).decode("utf-8") for i in field.data]
    types_field = reader.fields["tokenizer.ggml.token_type"]
    types = [int(types_field.parts[i][0]) for i in types_field.data]
    eos = int(reader.fields["tokenizer.ggml.eos_token_id"].parts[-1][0])
    decoder = byte_decoder()
    out, special = [], []
    for i, (tok, ty) in enumerate(zip(tokens, types)):
        if ty in (3, 4):  # control, user-defined: never emitted as text here
            special.append(i)
            out.append(tok.encode("utf-8").hex())
        else:
            out.append(bytes(decoder[c] for c in tok).hex())
    return {"eos": eos, "special": special, "tokens": out}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf")
    ap.add_argument("data_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--every", type=int, default=1, help="take every Nth file sorted by name")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "vocab.json"), "w") as f:
        json.dump(read_vocab(args.gguf), f)
    llm = llama_cpp.Llama(model_path=args.gguf, vocab_only=True, verbose=False)
    names = sorted(n for n in os.listdir(args.data_dir) if n.endswith(".json"))[:: args.every]
    with open(os.path.join(args.out_dir, "tests.jsonl"), "w") as out:
        for name in names:
            with open(os.path.join(args.data_dir, name)) as f:
                data = json.load(f)
            tests = []
            for t in data.get("tests", []):
                text = json.dumps(t["data"], indent=None, ensure_ascii=False)
                ids = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
                tests.append({"valid": t["valid"], "text": text, "tokens": ids})
            line = {"name": name, "schema": json.dumps(data["schema"], ensure_ascii=False), "tests": tests}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
