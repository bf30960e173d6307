"""systemd units and their example environment files."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from .common import error


def parse_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for n, line in enumerate(path.read_text().splitlines(), 1):
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        if s.startswith("[") and s.endswith("]"):
            current = sections.setdefault(s[1:-1], [])
        elif "=" in s and current is not None:
            k, v = s.split("=", 1)
            current.append((k.strip(), v.strip()))
        else:
            error(f"{path.name}:{n}: not a section header or Key=Value line")
    return sections


def check_systemd(root: Path) -> None:
    units = sorted(root.glob("*.service"))
    expected = {"apus-runner@.service", "apus-engine-core@.service", "apus-router.service", "apus-api.service"}
    for missing in sorted(expected - {u.name for u in units}):
        error(f"systemd: {missing} is missing")
    for unit in units:
        sec = parse_unit(unit)
        svc = dict(sec.get("Service", []))
        want = {"Restart": "on-failure", "KillSignal": "SIGTERM"}
        for k, v in want.items():
            if svc.get(k) != v:
                error(f"{unit.name}: {k}= must be {v} (is {svc.get(k)})")
        if "TimeoutStopSec" not in svc:
            error(f"{unit.name}: no TimeoutStopSec= (the drain needs a bound)")
        if "ExecReload" in svc:
            error(f"{unit.name}: has ExecReload=, but apus has no reload")
        exec_start = svc.get("ExecStart", "")
        if not exec_start.startswith("/usr/local/bin/apus "):
            error(f"{unit.name}: ExecStart must run /usr/local/bin/apus")
        if "Install" not in sec:
            error(f"{unit.name}: no [Install] section")
        # Each EnvironmentFile=/etc/apus/<name>.env has an example in env/ (instance 0 for templates).
        for k, v in sec.get("Service", []):
            if k != "EnvironmentFile":
                continue
            example = root / "env" / Path(v.lstrip("-").replace("%i", "0")).name
            if not example.is_file():
                error(f"{unit.name}: no example {example.relative_to(root)} for EnvironmentFile={v}")
            else:
                check_env_file(example)
    print(f"  checked {len(units)} units")


def systemd_words(value: str) -> list[str]:
    """The words `$APUS_ARGS` expands to in ExecStart: the env file's value unquoted, split at whitespace."""
    return " ".join(shlex.split(value)).split()


def check_env_file(path: Path) -> None:
    for n, line in enumerate(path.read_text().splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", s)
        if not m:
            error(f"{path.name}:{n}: not KEY=VALUE")
            continue
        try:
            shlex.split(m.group(2))
        except ValueError as e:
            error(f"{path.name}:{n}: bad quoting ({e})")
