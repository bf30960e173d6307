#!/usr/bin/env bash
# Installs the Debian packages Apus builds and tests with (only the missing ones).
set -euo pipefail
packages=(protobuf-c-compiler libprotobuf-c-dev libopenblas-dev pkg-config libssl-dev iproute2 python3-venv)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    SUDO=""
    [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
