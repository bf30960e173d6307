#!/usr/bin/env bash
# `pip download --quiet --no-deps --dest DIR ARGS…` with whatever pip this machine has: python3's own, else one in a
# throwaway venv under DIR (Debian's python3 ships without pip; python3-venv provides one).
#   scripts/pip-download.sh DIR PIP_ARGS…
set -euo pipefail
dest="$1"
shift
mkdir -p "$dest"
if python3 -m pip --version >/dev/null 2>&1; then
    pip=(python3 -m pip)
else
    [[ -x "$dest/.venv-fetch/bin/python" ]] || python3 -m venv "$dest/.venv-fetch" >&2
    pip=("$dest/.venv-fetch/bin/python" -m pip)
fi
"${pip[@]}" download --quiet --no-deps --dest "$dest" "$@" >&2
