"""Findings and YAML loading shared by every check."""
from __future__ import annotations

import re
from pathlib import Path

import yaml


errors: list[str] = []
notes: list[str] = []


def error(msg: str) -> None:
    errors.append(msg)
    print(f"  ERROR {msg}")


def note(msg: str) -> None:
    notes.append(msg)
    print(f"  note  {msg}")


def load_docs(path: Path) -> list[dict]:
    with path.open() as f:
        return [d for d in yaml.safe_load_all(f) if d]


WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet"}


VAR_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
