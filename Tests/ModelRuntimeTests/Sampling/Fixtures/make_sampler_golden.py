"""Writes sampler-golden.json: random rows pushed through steps 5-10 of the sampler order
(docs/architecture.md §5.3) in float32.

An independent NumPy statement of the vLLM V1 semantics (logit bias, repetition/frequency/presence
penalties, temperature, min_p, top-k, top-p by ascending cumulative sum), used by SamplerGoldenTests.
Cases whose truncation boundary lies within 1e-4 of a threshold are redrawn, so float rounding in
either implementation cannot flip a mask. Run: python3 make_sampler_golden.py
"""
import json
import numpy as np

rng = np.random.default_rng(20261129)
VOCAB = 61  # not a multiple of 8: exercises the vector blocks and the scalar tail
f32 = np.float32


def softmax(x):
    m = np.max(x[np.isfinite(x)])
    e = np.where(np.isfinite(x), np.exp((x - m).astype(np.float64)), 0.0)
    return e / e.sum()


def penalise(logits, prompt, output, bias, rep, freq, pres):
    x = logits.copy()
    for t, b in bias.items():
        x[t] = f32(x[t] + f32(b))
    seen = sorted(set(prompt) | set(output))
    for t in seen:
        x[t] = f32(x[t] / f32(rep)) if x[t] > 0 else f32(x[t] * f32(rep))
    counts = {}
    for t in output:
        counts[t] = counts.get(t, 0) + 1
    for t, c in counts.items():
        x[t] = f32(x[t] - f32(f32(freq) * f32(c)))
        x[t] = f32(x[t] - f32(pres))
    return x


def truncate(x, temp, min_p, top_k, top_p):
    """Returns the kept mask, or None when a threshold sits too close to call."""
    x = (x / f32(temp)).astype(f32)
    keep = np.ones(VOCAB, dtype=bool)
    if min_p > 0:
        p = softmax(x)
        ratio = p / p.max()
        if np.min(np.abs(ratio - min_p)) < 1e-4:
            return None
        keep &= ratio >= min_p
    if 0 < top_k < VOCAB:
        order = np.sort(x[keep])[::-1]
        if top_k < len(order):
            kth = order[top_k - 1]
            keep &= x >= kth
    if top_p < 1:
        y = np.where(keep, x, -np.inf)
        p = softmax(y)
        ids = np.argsort(p, kind="stable")  # ascending
        cum = np.cumsum(p[ids])
        live = p[ids] > 0
        if np.min(np.abs(cum[live] - (1 - top_p))) < 1e-4:
            return None
        drop = cum <= 1 - top_p
        drop[-1] = False
        keep[ids[drop]] = False
    return keep


def short(values):
    """float32 values with the fewest digits that read back as the same float32."""
    return [float(str(np.float32(v))) for v in values]


cases = []
while len(cases) < 40:
    logits = (rng.standard_normal(VOCAB) * 2.5).astype(f32)
    prompt = [int(t) for t in rng.integers(0, VOCAB, size=rng.integers(0, 6))]
    output = [int(t) for t in rng.integers(0, VOCAB, size=rng.integers(0, 8))]
    bias = {int(t): float(f32(rng.uniform(-3, 3))) for t in rng.integers(0, VOCAB, size=rng.integers(0, 3))}
    rep = float(rng.choice([1.0, 1.2, 0.8, 2.0]))
    freq = float(rng.choice([0.0, 0.5, -0.5, 1.5]))
    pres = float(rng.choice([0.0, 0.4, -1.0]))
    temp = float(rng.choice([0.5, 0.8, 1.0, 1.3]))
    min_p = float(rng.choice([0.0, 0.05, 0.2]))
    top_k = int(rng.choice([0, 1, 5, 20]))
    top_p = float(rng.choice([1.0, 0.3, 0.5, 0.9]))
    penalised = penalise(logits, prompt, output, bias, rep, freq, pres)
    keep = truncate(penalised, temp, min_p, top_k, top_p)
    if keep is None:
        continue
    cases.append({
        "logits": short(logits), "prompt": prompt, "output": output,
        "logitBias": {str(k): v for k, v in bias.items()},
        "repetitionPenalty": rep, "frequencyPenalty": freq, "presencePenalty": pres,
        "temperature": temp, "minP": min_p, "topK": top_k, "topP": top_p,
        "penalised": short(penalised), "kept": [int(b) for b in keep],
    })

with open("sampler-golden.json", "w") as f:
    lines = [json.dumps(c, separators=(",", ":")) for c in cases]
    f.write('{"vocab":%d,"cases":[\n%s\n]}\n' % (VOCAB, ",\n".join(lines)))
print(len(cases), "cases")
