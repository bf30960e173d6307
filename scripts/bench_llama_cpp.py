#!/usr/bin/env python3
"""llama.cpp's prefill and batch-1 decode speed on a GGUF file, measured as `apus bench runner --model` measures
Apus's: one prompt of N tokens in one step (best of five), then single-token decode steps (best step and mean).

The reference for the issue's speed bar is llama-cpp-python built from source with native flags:
    python3 -m venv /tmp/apus-ref
    CMAKE_ARGS="-DGGML_NATIVE=ON" /tmp/apus-ref/bin/pip install --no-binary llama-cpp-python llama-cpp-python
    /tmp/apus-ref/bin/python scripts/bench_llama_cpp.py MODEL.gguf --threads 2
"""
import argparse
import random
import time

from llama_cpp import Llama


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--prefill-len", type=int, default=128)
    parser.add_argument("--decode-steps", type=int, default=64)
    parser.add_argument("--context", type=int, default=16, help="prompt tokens before the decode steps")
    args = parser.parse_args()

    llm = Llama(model_path=args.model, n_threads=args.threads, n_threads_batch=args.threads, n_ctx=2048,
                n_batch=512, n_ubatch=512, verbose=False)
    vocab = llm.n_vocab()
    rng = random.Random(0)
    prompt = [rng.randrange(100, vocab - 100) for _ in range(args.prefill_len)]

    prefill = []
    for _ in range(5):
        llm.reset()
        start = time.perf_counter()
        llm.eval(prompt)
        prefill.append(time.perf_counter() - start)
    best = min(prefill)
    print(f"llama.cpp prompt {args.prefill_len} tokens: {args.prefill_len / best:.1f} tokens/s, "
          f"step {best * 1000:.2f} ms (best of 5), threads {args.threads}")

    llm.reset()
    llm.eval(prompt[: args.context])
    steps = []
    token = prompt[args.context]
    for _ in range(args.decode_steps):
        start = time.perf_counter()
        llm.eval([token])
        steps.append(time.perf_counter() - start)
        token = rng.randrange(100, vocab - 100)
    best = min(steps)
    mean = sum(steps) / len(steps)
    print(f"llama.cpp decode batch 1: {1 / best:.1f} tokens/s (best step {best * 1000:.2f} ms), "
          f"{1 / mean:.1f} tokens/s (mean step {mean * 1000:.2f} ms over {len(steps)} steps)")


if __name__ == "__main__":
    main()
