#!/usr/bin/env python3
"""Writes a GGUF file of random weights in a Llama shape, for memory and speed checks of big models without a
download (never committed). Default: TinyLlama-1.1B's shape (hidden 2048, 22 layers, intermediate 5632, 32 heads,
4 KV heads, vocab 32000) in Q4_0 with F32 norms, about 0.6 GB. No tokenizer: use it with `apus bench runner`.

    /tmp/apus-ref/bin/python scripts/make-dummy-gguf.py /tmp/dummy-1b.Q4_0.gguf
Needs numpy and the `gguf` package.
"""
import argparse

import gguf
import numpy as np


def q4_0(rows, cols, rng):
    """Random Q4_0 blocks: an f16 scale of about 0.02 and random nibbles, as raw bytes [rows, cols / 32 * 18]."""
    blocks = rows * cols // 32
    scales = (rng.random(blocks, dtype=np.float32) * 0.02 + 0.005).astype(np.float16).view(np.uint8).reshape(blocks, 2)
    nibbles = rng.integers(0, 256, size=(blocks, 16), dtype=np.uint8)
    return np.concatenate([scales, nibbles], axis=1).reshape(rows, cols // 32 * 18)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--hidden", type=int, default=2048)
    p.add_argument("--layers", type=int, default=22)
    p.add_argument("--intermediate", type=int, default=5632)
    p.add_argument("--heads", type=int, default=32)
    p.add_argument("--kv-heads", type=int, default=4)
    p.add_argument("--vocab", type=int, default=32000)
    a = p.parse_args()
    rng = np.random.default_rng(0)
    head_dim = a.hidden // a.heads
    w = gguf.GGUFWriter(a.out, "llama")
    w.add_block_count(a.layers)
    w.add_context_length(2048)
    w.add_embedding_length(a.hidden)
    w.add_feed_forward_length(a.intermediate)
    w.add_head_count(a.heads)
    w.add_head_count_kv(a.kv_heads)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(a.vocab)

    def quantized(name, rows, cols):
        w.add_tensor(name, q4_0(rows, cols, rng), raw_dtype=gguf.GGMLQuantizationType.Q4_0)

    def norm(name):
        w.add_tensor(name, np.ones(a.hidden, dtype=np.float32))

    quantized("token_embd.weight", a.vocab, a.hidden)
    for l in range(a.layers):
        norm(f"blk.{l}.attn_norm.weight")
        quantized(f"blk.{l}.attn_q.weight", a.hidden, a.hidden)
        quantized(f"blk.{l}.attn_k.weight", a.kv_heads * head_dim, a.hidden)
        quantized(f"blk.{l}.attn_v.weight", a.kv_heads * head_dim, a.hidden)
        quantized(f"blk.{l}.attn_output.weight", a.hidden, a.hidden)
        norm(f"blk.{l}.ffn_norm.weight")
        quantized(f"blk.{l}.ffn_gate.weight", a.intermediate, a.hidden)
        quantized(f"blk.{l}.ffn_up.weight", a.intermediate, a.hidden)
        quantized(f"blk.{l}.ffn_down.weight", a.hidden, a.intermediate)
    norm("output_norm.weight")
    quantized("output.weight", a.vocab, a.hidden)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
