"""Each service's /metrics serves what metrics.txt lists for it."""
from __future__ import annotations

import subprocess
from pathlib import Path

from .common import error, note
from .flags_check import help_flags
from .grafana_check import METRIC, load_metric_list
from .services import scrape, start_service


def check_exposition(apus: str, metrics_path: Path) -> None:
    listed = load_metric_list(metrics_path)

    def scrape_until_complete(component: str, admin: str) -> dict[str, tuple[str, set[str]]]:
        """Scrapes until every `always` metric of `component` is there (some appear after a first update), 10 s at most."""
        import time
        wanted = {n for n, (_, c, when, _) in listed.items() if c == component and when == "always"}
        deadline = time.monotonic() + 10
        while True:
            got = scrape(admin)
            if wanted <= set(got) or time.monotonic() > deadline:
                return got
            time.sleep(0.2)

    procs = []
    try:
        runner, r = start_service([apus, "runner", "--fake", "--port", "0", "--admin-port", "0"])
        procs.append(runner)
        engine, e = start_service([apus, "engine-core", "--runner", r["wire"], "--port", "0", "--admin-port", "0",
                                   "--engine-id", "validate-0", "--served-model-name", "validate"])
        procs.append(engine)
        served = {"runner": scrape_until_complete("runner", r["admin"]),
                  "engine-core": scrape_until_complete("engine-core", e["admin"])}
        upstream = e["wire"]
        if help_flags(apus, "router") is not None:
            router, rt = start_service([apus, "router", "--engine", e["wire"], "--port", "0", "--admin-port", "0"])
            procs.append(router)
            served["router"] = scrape_until_complete("router", rt["admin"])
            upstream = rt["wire"]
        if help_flags(apus, "api") is not None:
            api, a = start_service([apus, "api", "--upstream", upstream, "--port", "0", "--admin-port", "0"])
            procs.append(api)
            served["api"] = scrape_until_complete("api", a["admin"])
    except (RuntimeError, OSError) as failure:
        error(f"could not start and scrape a runner and an engine-core: {failure}")
        return
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    checked = 0
    for name, (kind, component, when, labels) in listed.items():
        if component not in served:
            continue
        got = served[component].get(name)
        if got is None and when == "on-event":
            continue
        checked += 1
        if got is None:
            error(f"{name}: listed as exported by the {component}, but its /metrics does not serve it")
        elif got[0] != kind:
            error(f"{name}: listed as a {kind}, served as a {got[0]}")
        elif not labels <= got[1]:
            error(f"{name}: listed with labels {sorted(labels)}, served with {sorted(got[1])}")
    for component, metrics in sorted(served.items()):
        for name in sorted(n for n in metrics if METRIC.fullmatch(n) and n not in listed):
            note(f"the {component} serves {name}, which metrics.txt does not list")
    for component in sorted({c for _, c, _, _ in listed.values()} - set(served)):
        note(f"`apus {component}` is not built in this binary yet: its metrics were not checked")
    print(f"  {checked} listed metrics of {', '.join(sorted(served))} served with their type and labels")
