"""The compose file: healthchecks and healthy dependencies."""
from __future__ import annotations

from pathlib import Path

import yaml

from .common import error


def check_compose(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    services = doc.get("services", {})
    for required in ("api", "router"):
        if required not in services:
            error(f"compose: no {required} service")
    if not any(n.startswith("runner") for n in services) or not any(n.startswith("engine-core") for n in services):
        error("compose: needs at least one runner and one engine-core service")
    for name, svc in services.items():
        hc = svc.get("healthcheck")
        if not hc or not hc.get("test"):
            error(f"compose: service {name} has no healthcheck")
        for dep, cond in (svc.get("depends_on") or {}).items():
            if dep not in services:
                error(f"compose: {name} depends on unknown service {dep}")
            if isinstance(cond, dict) and cond.get("condition") != "service_healthy":
                error(f"compose: {name} should wait for {dep} to be healthy")
    print(f"  checked {len(services)} compose services")
