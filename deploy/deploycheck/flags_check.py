"""Every --flag the deployment files pass to apus exists in `apus <subcommand> --help`."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from .common import VAR_REF, error, load_docs, note
from .systemd_check import parse_unit, systemd_words


FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")


def help_flags(apus: str, sub: str) -> set[str] | None:
    out = subprocess.run([apus, sub, "--help"], capture_output=True, text=True, timeout=30)
    text = out.stdout + out.stderr
    if out.returncode != 0 or "not built yet" in text:
        return None
    flags = set(FLAG.findall(text))
    # ArgumentParser prints `--[no-]enable-prefix-caching` for inverted flags.
    for m in re.finditer(r"--\[no-\]([a-z0-9-]+)", text):
        flags |= {f"--{m.group(1)}", f"--no-{m.group(1)}"}
    return flags


def invocations(repo: Path) -> list[tuple[str, str, list[str]]]:
    """(where, subcommand, args) for every apus invocation in deploy/."""
    out = []
    kdir = repo / "deploy" / "kubernetes"
    config = {k: v for d in load_docs(kdir / "configmap.yaml") for k, v in d.get("data", {}).items()}
    for f in sorted(kdir.glob("*.yaml")):
        for d in load_docs(f):
            pod = d.get("spec", {}).get("template", {}).get("spec", {})
            for c in pod.get("containers", []):
                # $(KEY) from the ConfigMap may itself be a flag (APUS_PREFIX_CACHING).
                args = [VAR_REF.sub(lambda m: config.get(m.group(1), m.group(0)), a) for a in c.get("args", [])]
                if args:
                    out.append((f"{f.name} {d['metadata']['name']}", args[0], args[1:]))
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    cmd = c.get(probe, {}).get("exec", {}).get("command", [])
                    if cmd[:1] == ["/usr/local/bin/apus"]:
                        out.append((f"{f.name} {d['metadata']['name']} {probe}", cmd[1], cmd[2:]))
    compose = yaml.safe_load((repo / "deploy" / "compose" / "compose.yaml").read_text())
    for name, svc in compose["services"].items():
        cmd = svc.get("command", [])
        out.append((f"compose.yaml {name}", cmd[0], cmd[1:]))
        test = svc.get("healthcheck", {}).get("test", [])
        if test[1:2] == ["/usr/local/bin/apus"]:
            out.append((f"compose.yaml {name} healthcheck", test[2], test[3:]))
    sdir = repo / "deploy" / "systemd"
    for unit in sorted(sdir.glob("*.service")):
        sub = dict(parse_unit(unit).get("Service", []))["ExecStart"].split()[1]
        env = sdir / "env" / (unit.name.replace("apus-", "").replace("@.service", "-0.env").replace(".service", ".env"))
        for line in env.read_text().splitlines():
            if line.startswith("APUS_ARGS="):
                out.append((f"systemd/env/{env.name}", sub, systemd_words(line.split("=", 1)[1])))
    return out


def check_flags(repo: Path, apus: str) -> None:
    cache: dict[str, set[str] | None] = {}
    skipped = set()
    checked = 0
    for where, sub, args in invocations(repo):
        if sub not in cache:
            cache[sub] = help_flags(apus, sub)
        flags = cache[sub]
        if flags is None:
            skipped.add(sub)
            continue
        for arg in args:
            for flag in FLAG.findall(arg.split("=", 1)[0]) if arg.startswith("--") else []:
                checked += 1
                if flag not in flags:
                    error(f"{where}: `apus {sub}` has no flag {flag}")
    for sub in sorted(skipped):
        note(f"`apus {sub}` is not built in this binary yet: its flags were not checked")
    print(f"  checked {checked} flags against `apus <subcommand> --help`")
