"""The Grafana dashboard: structure, datasource variable, metric names against metrics.txt."""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from .common import error, note


METRIC = re.compile(r"(?<![A-Za-z0-9_:])((?:vllm|apus):[A-Za-z0-9_:]+)")


def load_metric_list(path: Path) -> dict[str, tuple[str, str, str, set[str]]]:
    """name -> (type, exporting service, `always` or `on-event`, label names)."""
    listed = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, kind, component, when, *labels = line.split()
            if kind not in ("gauge", "counter", "histogram") or when not in ("always", "on-event"):
                error(f"{path.name}: cannot read {line!r}")
            listed[name] = (kind, component, when, set(labels))
    return listed


def exported_name(name: str, listed: dict[str, str]) -> str | None:
    """The listed metric that `name` refers to (histograms also answer to _bucket, _sum and _count)."""
    if name in listed:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name.removesuffix(suffix)
        if base != name and base in listed and listed[base][0] == "histogram":
            return base
    return None


def substitute_grafana_vars(expr: str) -> str:
    expr = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m").replace("$__range", "1h")
    return re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", ".*", expr)


def check_grafana(path: Path, metrics_path: Path, rules_out: Path | None) -> None:
    dash = json.loads(path.read_text())
    listed = load_metric_list(metrics_path)
    variables = {v["name"]: v for v in dash.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        error("grafana: no `datasource` variable of type datasource (prometheus)")
    panels = dash.get("panels", [])
    flat = [p for p in panels for p in [p] + p.get("panels", [])]
    ids = [p.get("id") for p in flat]
    if len(ids) != len(set(ids)):
        error("grafana: duplicate panel ids")
    queries: list[tuple[str, str]] = []
    for v in variables.values():
        if v.get("type") == "query":
            q = v["query"]["query"] if isinstance(v.get("query"), dict) else v.get("query", "")
            queries.append((f"variable {v['name']}", q))
    for p in flat:
        if p.get("type") == "row":
            continue
        title = p.get("title", f"panel {p.get('id')}")
        if "gridPos" not in p:
            error(f"grafana: panel {title!r} has no gridPos")
        if p.get("datasource", {}).get("uid") != "${datasource}":
            error(f"grafana: panel {title!r} does not use the ${{datasource}} variable")
        if not p.get("targets"):
            error(f"grafana: panel {title!r} has no queries")
        for t in p.get("targets", []):
            if t.get("datasource", {}).get("uid") != "${datasource}":
                error(f"grafana: a query of {title!r} does not use the ${{datasource}} variable")
            queries.append((f"panel {title!r} {t.get('refId')}", t.get("expr", "")))
    used = set()
    for where, expr in queries:
        names = METRIC.findall(expr)
        if not names and where.startswith("panel"):
            error(f"grafana: {where} queries no Apus/vLLM metric: {expr!r}")
        for name in names:
            base = exported_name(name, listed)
            if base is None:
                error(f"grafana: {where} queries {name}, which {metrics_path.name} does not list")
            else:
                used.add(base)
    for name in sorted(set(listed) - used):
        note(f"{name} is listed but no panel shows it")
    if rules_out:
        rules = [{"record": f"apus_dashboard_check:q{i}", "expr": substitute_grafana_vars(expr)}
                 for i, (where, expr) in enumerate(queries) if where.startswith("panel")]
        rules_out.write_text(yaml.safe_dump({"groups": [{"name": "apus-dashboard", "rules": rules}]}, sort_keys=False))
    print(f"  checked {len(flat)} panels, {len(queries)} queries, {len(used)} distinct metrics")
