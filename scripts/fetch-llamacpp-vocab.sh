#!/usr/bin/env bash
# Fetches two of llama.cpp's vocab-only test files (ggml-vocab-llama-bpe.gguf: Llama 3, 7.8 MB; ggml-vocab-qwen2.gguf:
# 5.9 MB) from the llama-cpp-python 0.3.36 source package on PyPI (77 MB, llama.cpp vendored; MIT) into .models/
# (git-ignored), and prints the folder. The tokenizer tests compare Apus's ids with llama.cpp's for them (committed
# as JSON); the smaller vocab files are committed under Tests/Fixtures/gguf. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${APUS_MODELS_DIR:-.models}/llama.cpp-vocab"
files=(ggml-vocab-llama-bpe.gguf ggml-vocab-qwen2.gguf)
if [[ -s "$dir/${files[0]}" && -s "$dir/${files[1]}" ]]; then
    echo "$dir"
    exit 0
fi
# Only this package from source: its build tools (cmake …) come as wheels when pip prepares its metadata.
scripts/pip-download.sh "$dir" --no-binary llama-cpp-python llama-cpp-python==0.3.36
python3 - "$dir" "${files[@]}" >&2 <<'PY'
import glob, os, sys, tarfile
folder, names = sys.argv[1], sys.argv[2:]
sdist = glob.glob(f"{folder}/llama_cpp_python-0.3.36.tar.gz")[0]
with tarfile.open(sdist) as tar:
    for name in names:
        member = tar.extractfile(f"llama_cpp_python-0.3.36/vendor/llama.cpp/models/{name}")
        with open(f"{folder}/{name}.partial", "wb") as out:
            out.write(member.read())
        os.replace(f"{folder}/{name}.partial", f"{folder}/{name}")
os.remove(sdist)
PY
echo "$dir"
