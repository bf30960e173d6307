#!/usr/bin/env python3
"""Consistency checks for deploy/ that no schema can express (run by scripts/validate-deploy.sh).

Each subcommand prints one line per finding and exits 1 if any finding is an error:

  kubernetes DIR          the manifests refer to each other correctly (selectors, ports, $(VARS), Secrets,
                          kustomization resources and replicas) and every container has probes, a preStop drain,
                          resources and a grace period
  compose FILE            every service has a healthcheck and waits for healthy dependencies
  systemd DIR             every unit restarts on failure, stops with SIGTERM within TimeoutStopSec, has no
                          ExecReload, and has an example environment file
  grafana JSON METRICS    the dashboard is well formed and queries only metrics METRICS lists;
                          with --rules OUT it also writes every query as a Prometheus rule file for promtool
  flags APUS              every `--flag` the deployment files pass to `apus <subcommand>` exists in its --help
  exposition APUS METRICS starts a scripted runner, an engine-core, and the router and api where built, on loopback,
                          and checks that each metric METRICS lists for them is served on /metrics with its type
                          and labels
  smoke REPO APUS systemd|kubernetes|compose [DOCKER_COMPOSE]
                          starts runner, engine-core, router and api with the flags of the systemd examples, the
                          Kubernetes manifests (ConfigMap values filled in) or the compose file (as `docker-compose
                          config` renders it), hosts made 127.0.0.1 and ports free ones; probes each, sends a
                          completion with the API key, and stops them with SIGTERM in order (api first): exit 0
  runtime-libs DOCKERFILE APUS
                          every shared library APUS links (besides the Swift runtime, which the image links
                          statically) comes from a package the Dockerfile's runtime stage installs, one of their
                          dependencies, or the slim base image
"""
from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
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


# ---------------------------------------------------------------------------------------------------- kubernetes

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet"}
VAR_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def selector_matches(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_container(where: str, c: dict, defined_vars: set[str], config_keys: set[str], secret_keys: dict) -> None:
    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    env_names = {e["name"] for e in c.get("env", [])}
    env_from_keys = set()
    for ef in c.get("envFrom", []):
        if "configMapRef" in ef:
            if ef["configMapRef"]["name"] != "apus-config":
                error(f"{where}: envFrom unknown ConfigMap {ef['configMapRef']['name']}")
            env_from_keys |= config_keys
    for e in c.get("env", []):
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref and ref["key"] not in secret_keys.get(ref["name"], set()):
            error(f"{where}: env {e['name']} reads Secret {ref['name']} key {ref['key']}, "
                  f"absent from secret.example.yaml")
        ref = e.get("valueFrom", {}).get("configMapKeyRef")
        if ref and ref["key"] not in config_keys:
            error(f"{where}: env {e['name']} reads ConfigMap key {ref['key']} that configmap.yaml lacks")
    known = env_names | env_from_keys | defined_vars
    for arg in c.get("command", []) + c.get("args", []):
        for var in VAR_REF.findall(arg):
            if var not in known:
                error(f"{where}: argument {arg!r} uses $({var}), defined neither in env nor in the ConfigMap")
    if not c.get("resources", {}).get("requests"):
        error(f"{where}: no resource requests")
    if not c.get("resources", {}).get("limits", {}).get("memory"):
        error(f"{where}: no memory limit")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        p = c.get(probe)
        if not p:
            error(f"{where}: no {probe}")
            continue
        if "httpGet" in p:
            port = p["httpGet"]["port"]
            if isinstance(port, str) and port not in ports:
                error(f"{where}: {probe} uses port {port!r}, not a named container port")
            if p["httpGet"]["path"] not in ("/livez", "/readyz"):
                error(f"{where}: {probe} path {p['httpGet']['path']} is not /livez or /readyz")
        elif "exec" in p:
            cmd = p["exec"]["command"]
            if cmd[:2] != ["/usr/local/bin/apus", "probe"] or len(cmd) < 3:
                error(f"{where}: {probe} exec is not `/usr/local/bin/apus probe HOST:PORT`")
            elif int(cmd[2].rsplit(":", 1)[1]) not in ports.values():
                error(f"{where}: {probe} probes {cmd[2]}, not a container port")
        else:
            error(f"{where}: {probe} is neither httpGet nor exec")
    if "readinessProbe" in c and "httpGet" in c["readinessProbe"] and c["readinessProbe"]["httpGet"]["path"] != "/readyz":
        error(f"{where}: readinessProbe must use /readyz (it turns 503 when draining)")
    if not c.get("lifecycle", {}).get("preStop"):
        error(f"{where}: no preStop hook (drain delay)")
    sc = c.get("securityContext", {})
    if sc.get("allowPrivilegeEscalation") is not False or sc.get("capabilities", {}).get("drop") != ["ALL"]:
        error(f"{where}: securityContext must drop ALL capabilities and forbid privilege escalation")


def check_kubernetes(root: Path) -> None:
    kust = yaml.safe_load((root / "kustomization.yaml").read_text())
    resources = kust.get("resources", [])
    optional = {"secret.example.yaml", "servicemonitor.yaml"}
    on_disk = {p.name for p in root.glob("*.yaml")} - {"kustomization.yaml"}
    for r in resources:
        if not (root / r).is_file():
            error(f"kustomization.yaml lists {r}, which does not exist")
    for name in sorted(on_disk - set(resources) - optional):
        error(f"{name} is neither in kustomization.yaml resources nor a known optional file")

    docs = {name: load_docs(root / name) for name in sorted(on_disk)}
    objs = [(name, d) for name in resources if name in docs for d in docs[name]]
    by_kind: dict[str, list[dict]] = {}
    for _, d in objs:
        by_kind.setdefault(d["kind"], []).append(d)
    for kind, ds in by_kind.items():
        names = [d["metadata"]["name"] for d in ds]
        for n in {n for n in names if names.count(n) > 1}:
            error(f"two {kind} objects named {n}")

    config_keys = set()
    for cm in by_kind.get("ConfigMap", []):
        config_keys |= set(cm.get("data", {}))
    secret_keys = {}
    for d in docs.get("secret.example.yaml", []):
        secret_keys[d["metadata"]["name"]] = set(d.get("stringData", {})) | set(d.get("data", {}))

    workloads = [d for kind in WORKLOADS for d in by_kind.get(kind, [])]
    services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}
    for w in workloads:
        name, spec = w["metadata"]["name"], w["spec"]
        tmpl = spec["template"]
        where = f"{w['kind']}/{name}"
        if not selector_matches(spec["selector"]["matchLabels"], tmpl["metadata"]["labels"]):
            error(f"{where}: selector does not match its pod template labels")
        pod = tmpl["spec"]
        if "terminationGracePeriodSeconds" not in pod:
            error(f"{where}: no terminationGracePeriodSeconds")
        psc = pod.get("securityContext", {})
        if psc.get("runAsNonRoot") is not True:
            error(f"{where}: pod securityContext must set runAsNonRoot")
        defined: set[str] = set()
        for c in pod["containers"]:
            check_container(f"{where}/{c['name']}", c, defined, config_keys, secret_keys)
            if c.get("image", "").split(":")[0] not in {i["name"] for i in kust.get("images", [])}:
                error(f"{where}/{c['name']}: image {c.get('image')} is not set by kustomization.yaml images")
        if w["kind"] == "StatefulSet":
            svc = services.get(spec["serviceName"])
            if not svc or svc["spec"].get("clusterIP") != "None":
                error(f"{where}: serviceName {spec['serviceName']} is not a headless Service")
        component = tmpl["metadata"]["labels"].get("app.kubernetes.io/component")
        if component == "runner" and pod.get("nodeSelector", {}).get("apus.dev/accelerator") != "true":
            error(f"{where}: runners must select accelerator nodes (nodeSelector apus.dev/accelerator)")

    for svc in services.values():
        sel = svc["spec"].get("selector", {})
        targets = [w for w in workloads if selector_matches(sel, w["spec"]["template"]["metadata"]["labels"])]
        if not targets:
            error(f"Service/{svc['metadata']['name']}: selector matches no workload")
        for port in svc["spec"]["ports"]:
            tp = port.get("targetPort", port["port"])
            for w in targets:
                cports = [p for c in w["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])]
                if not any(p.get("name") == tp or p["containerPort"] == tp for p in cports):
                    error(f"Service/{svc['metadata']['name']}: targetPort {tp} not exposed by {w['metadata']['name']}")

    for pdb in by_kind.get("PodDisruptionBudget", []):
        sel = pdb["spec"]["selector"]["matchLabels"]
        if not any(selector_matches(sel, w["spec"]["template"]["metadata"]["labels"]) for w in workloads):
            error(f"PodDisruptionBudget/{pdb['metadata']['name']}: selector matches no workload")
    for comp in ("api", "router"):
        if not any(p["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/component") == comp
                   for p in by_kind.get("PodDisruptionBudget", [])):
            error(f"no PodDisruptionBudget for the {comp}")

    # Upstream addresses (--engine, --upstream, --runner) name Services and ports that exist.
    for w in workloads:
        for c in w["spec"]["template"]["spec"]["containers"]:
            for arg in c.get("args", []):
                if not re.match(r"--(engine|upstream|runner)=", arg):
                    continue
                m = re.match(r"--(engine|upstream|runner)=([^:]+):(\d+)$", arg)
                if not m:
                    error(f"{w['metadata']['name']}: {arg} is not HOST:PORT")
                    continue
                host, port = m.group(2), int(m.group(3))
                svc_name = host.split(".")[-1] if "." in host else host
                svc = services.get(svc_name)
                if not svc:
                    error(f"{w['metadata']['name']}: {arg} names no Service {svc_name}")
                elif port not in [p["port"] for p in svc["spec"]["ports"]]:
                    error(f"{w['metadata']['name']}: {arg}: Service {svc_name} has no port {port}")
                elif "." in host and svc["spec"].get("clusterIP") != "None":
                    error(f"{w['metadata']['name']}: {arg}: per-pod DNS needs a headless Service")

    # Runner N serves engine-core N: the two StatefulSets must have the same size.
    counts = {r["name"]: r["count"] for r in kust.get("replicas", [])}
    sts = {s["metadata"]["name"]: s for s in by_kind.get("StatefulSet", [])}
    for name in counts:
        if name not in sts and name not in {d["metadata"]["name"] for d in workloads}:
            error(f"kustomization.yaml replicas names unknown workload {name}")
    if "apus-runner" in sts and "apus-engine-core" in sts:
        r = counts.get("apus-runner", sts["apus-runner"]["spec"]["replicas"])
        e = counts.get("apus-engine-core", sts["apus-engine-core"]["spec"]["replicas"])
        if r != e:
            error(f"apus-runner has {r} replicas but apus-engine-core {e}: each engine-core needs its runner")

    # The optional ServiceMonitor (CRD absent from the schemas) selects Services that have its port.
    for d in docs.get("servicemonitor.yaml", []):
        if d.get("apiVersion") != "monitoring.coreos.com/v1" or d.get("kind") != "ServiceMonitor":
            error("servicemonitor.yaml: not a monitoring.coreos.com/v1 ServiceMonitor")
            continue
        sel = d["spec"]["selector"]["matchLabels"]
        matched = [s for s in services.values() if selector_matches(sel, s["metadata"].get("labels", {}))]
        if not matched:
            error("servicemonitor.yaml: selects no Service")
        for ep in d["spec"]["endpoints"]:
            for s in matched:
                if ep["port"] not in [p.get("name") for p in s["spec"]["ports"]]:
                    error(f"servicemonitor.yaml: Service {s['metadata']['name']} has no port named {ep['port']}")
    print(f"  checked {len(objs)} objects in {len(resources)} kustomization resources (+ optional files)")


# ------------------------------------------------------------------------------------------------------- compose

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


# ------------------------------------------------------------------------------------------------------- systemd

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


# ------------------------------------------------------------------------------------------------------- grafana

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


# --------------------------------------------------------------------------------------------------------- flags

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


# --------------------------------------------------------------------------------------------------- exposition

def start_service(argv: list[str]) -> tuple[subprocess.Popen, dict[str, str]]:
    """Starts an apus service and waits for its `LISTENING <service> wire=... admin=...` line."""
    import select
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    line = proc.stdout.readline() if ready and proc.stdout else ""
    if not line.startswith("LISTENING"):
        proc.kill()
        raise RuntimeError(f"{' '.join(argv)} did not start (printed {line!r})")
    return proc, dict(field.split("=", 1) for field in line.split()[2:])


def scrape(admin: str) -> dict[str, tuple[str, set[str]]]:
    """name -> (type, label names) from a Prometheus text exposition."""
    import urllib.request
    text = urllib.request.urlopen(f"http://{admin}/metrics", timeout=5).read().decode()
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    found: dict[str, tuple[str, set[str]]] = {}
    for m in re.finditer(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{([^}]*)\})? ", text, re.M):
        name, labels = m.group(1), set(re.findall(r'([A-Za-z_][A-Za-z0-9_]*)="', m.group(2) or ""))
        base = next((name.removesuffix(s) for s in ("_bucket", "_sum", "_count")
                     if name.endswith(s) and types.get(name.removesuffix(s)) == "histogram"), name)
        labels.discard("le")
        kind, known = found.get(base, (types.get(base, "untyped"), set()))
        found[base] = (kind, known | labels)
    return found


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


# -------------------------------------------------------------------------------------------------------- smoke

def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(url: str, key: str | None = None, body: dict | None = None) -> tuple[int, str]:
    import urllib.error
    import urllib.request
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body else None)
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    if body:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)


ORDER = ("runner", "engine-core", "router", "api")


def systemd_plan(repo: Path) -> list[tuple[str, list[str]]]:
    env_dir = repo / "deploy" / "systemd" / "env"

    def example_args(name: str) -> list[str]:
        line = next(l for l in (env_dir / name).read_text().splitlines() if l.startswith("APUS_ARGS="))
        return systemd_words(line.split("=", 1)[1])

    router_args = example_args("router.env")
    # The example lists one engine per accelerator node; here there is one engine-core.
    engines = [i for i, a in enumerate(router_args) if a == "--engine"]
    for i in reversed(engines[1:]):
        del router_args[i:i + 2]
    return [("runner", example_args("runner-0.env")), ("engine-core", example_args("engine-core-0.env")),
            ("router", router_args), ("api", example_args("api.env"))]


def kubernetes_plan(repo: Path) -> list[tuple[str, list[str]]]:
    """Container args of pod 0 of each workload, $(VARS) filled from the ConfigMap and the downward API."""
    kdir = repo / "deploy" / "kubernetes"
    kust = yaml.safe_load((kdir / "kustomization.yaml").read_text())
    config = {k: v for d in load_docs(kdir / "configmap.yaml") for k, v in d.get("data", {}).items()}
    plan = {}
    for f in kust["resources"]:
        for d in load_docs(kdir / f):
            if d["kind"] not in WORKLOADS:
                continue
            values = dict(config, POD_NAME=f"{d['metadata']['name']}-0", APUS_REPLICA_INDEX="0")
            args = d["spec"]["template"]["spec"]["containers"][0]["args"]
            args = [VAR_REF.sub(lambda m: values.get(m.group(1), m.group(0)), a) for a in args]
            plan[args[0]] = args[1:]
    return [(sub, plan[sub]) for sub in ORDER]


def compose_plan(repo: Path, compose_bin: str) -> list[tuple[str, list[str]]]:
    """Commands of the compose services as `docker-compose config` interpolates them."""
    import os
    out = subprocess.run([compose_bin, "-f", str(repo / "deploy" / "compose" / "compose.yaml"), "config",
                          "--format", "json"], capture_output=True, text=True, check=True,
                         env=dict(os.environ, APUS_AUTH_TOKEN="validate-token"))
    services = json.loads(out.stdout)["services"]
    by_sub = {svc["command"][0]: svc["command"][1:] for svc in services.values()}
    return [(sub, by_sub[sub]) for sub in ORDER]


def localize(args: list[str], ports: dict[int, int]) -> list[str]:
    """Every HOST:PORT and port of the plan onto 127.0.0.1 and free ports."""
    out = []
    for a in args:
        flag, eq, value = a.partition("=") if a.startswith("--") else ("", "", a)
        value = value.replace("0.0.0.0", "127.0.0.1")
        value = re.sub(r"^[A-Za-z0-9.-]+:(\d+)$",
                       lambda m: f"127.0.0.1:{ports.get(int(m.group(1)), m.group(1))}", value)
        value = re.sub(r"^(\d+)$", lambda m: str(ports.get(int(m.group(1)), m.group(1))), value)
        out.append(f"{flag}{eq}{value}" if eq else (value if not flag else a))
    return out


def check_smoke(repo: Path, apus: str, source: str, compose_bin: str = "docker-compose") -> None:
    import os
    import time
    ports = {p: free_port() for p in (7100, 7101, 7200, 7201, 7300, 7301, 8000, 8001)}
    raw = {"systemd": lambda: systemd_plan(repo), "kubernetes": lambda: kubernetes_plan(repo),
           "compose": lambda: compose_plan(repo, compose_bin)}[source]()
    plan = [(sub, localize(args, ports)) for sub, args in raw]
    key = "validate-key"
    env = dict(os.environ, APUS_AUTH_TOKEN="validate-token", VLLM_API_KEY=key)
    procs: list[tuple[str, subprocess.Popen]] = []
    try:
        for sub, args in plan:
            if sub == "api":
                # The api asks its upstream for the model at start: wait until the router has a ready engine.
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    if re.search(r"^apus:router_engine_ready\{[^}]*\} 1", http(
                            f"http://127.0.0.1:{ports[7101]}/metrics")[1], re.M):
                        break
                    time.sleep(0.5)
            proc = subprocess.Popen([apus, sub] + args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                    text=True)
            procs.append((sub, proc))
            import select
            ready, _, _ = select.select([proc.stdout], [], [], 90)
            line = proc.stdout.readline() if ready and proc.stdout else ""
            if not line.startswith(f"LISTENING {sub}"):
                error(f"apus {sub} {' '.join(args)}: did not start (printed {line!r}, exit {proc.poll()})")
                return
        for sub, wire in (("runner", 7300), ("engine-core", 7200), ("router", 7100)):
            probe = subprocess.run([apus, "probe", f"127.0.0.1:{ports[wire]}"], env=env, capture_output=True)
            if probe.returncode != 0:
                error(f"apus probe of the {sub} exited {probe.returncode}")
        for admin in (7301, 7201, 7101, 8001):
            status, _ = http(f"http://127.0.0.1:{ports[admin]}/readyz")
            if status != 200:
                error(f"/readyz on the admin port for {admin} answered {status}")
        base = f"http://127.0.0.1:{ports[8000]}/v1"
        status, body = http(f"{base}/models", key)
        model = json.loads(body)["data"][0]["id"] if status == 200 else None
        if status != 200:
            error(f"GET /v1/models answered {status}: {body[:200]}")
        if http(f"{base}/models")[0] != 401:
            error("GET /v1/models without the API key was not refused with 401")
        status, body = http(f"{base}/completions", key, {"model": model, "prompt": "Hello", "max_tokens": 4})
        if status != 200 or json.loads(body)["usage"]["completion_tokens"] != 4:
            error(f"POST /v1/completions answered {status}: {body[:200]}")
    finally:
        for sub, proc in reversed(procs):
            proc.terminate()
            try:
                code = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = "killed after 60 s"
            if code != 0:
                error(f"apus {sub} did not drain and exit 0 on SIGTERM (exit {code})")
    print(f"  runner, engine-core, router and api started with the {source} flags, probed, served a completion,"
          f" drained on SIGTERM")


# ------------------------------------------------------------------------------------------------- runtime libs

SLIM_BASE = {"libc6", "libstdc++6", "libgcc-s1", "zlib1g"}


def runtime_packages(dockerfile: Path) -> set[str]:
    """Packages `apt-get install`ed in the Dockerfile's last stage."""
    stages = re.split(r"(?m)^FROM\s", dockerfile.read_text())
    last = stages[-1].replace("\\\n", " ")
    pkgs = set()
    for m in re.finditer(r"apt-get install ([^&\n]*)", last):
        pkgs |= {w for w in m.group(1).split() if not w.startswith("-")}
    return pkgs


def dependency_closure(pkgs: set[str]) -> set[str]:
    seen, todo = set(), list(pkgs)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        out = subprocess.run(["dpkg-query", "-W", "-f=${Depends},${Pre-Depends}", p], capture_output=True, text=True)
        for alt in out.stdout.split(","):
            name = alt.split("|")[0].split("(")[0].strip().split(":")[0]
            if name:
                todo.append(name)
    return seen


def check_runtime_libs(dockerfile: Path, apus: str) -> None:
    wanted = runtime_packages(dockerfile)
    allowed = dependency_closure(wanted | SLIM_BASE)
    ldd = subprocess.run(["ldd", apus], capture_output=True, text=True, check=True).stdout
    checked = 0
    for m in re.finditer(r"^\s*(\S+) => (/\S+)", ldd, re.M):
        lib, path = m.group(1), Path(m.group(2)).resolve()
        if lib.startswith(("libswift", "libFoundation", "lib_Foundation", "libdispatch", "libBlocksRuntime")):
            continue  # the Swift runtime: linked statically into the image's binary (--static-swift-stdlib)
        # dpkg knows a file by the path its package installed; with a merged /usr that may lack the /usr prefix.
        candidates = [m.group(2), str(path), str(path).removeprefix("/usr")]
        for candidate in candidates:
            owner = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if owner.returncode == 0:
                break
        if owner.returncode != 0:
            error(f"{lib} ({path}) belongs to no Debian package")
            continue
        pkg = owner.stdout.split(":")[0]
        checked += 1
        if pkg not in allowed:
            error(f"{lib} comes from {pkg}, which the runtime stage of {dockerfile.name} does not install")
    print(f"  {checked} shared libraries, all from: {' '.join(sorted(wanted))} (+ their dependencies and the base)")


def main(argv: list[str]) -> int:
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "kubernetes":
        check_kubernetes(Path(argv[2]))
    elif cmd == "compose":
        check_compose(Path(argv[2]))
    elif cmd == "systemd":
        check_systemd(Path(argv[2]))
    elif cmd == "grafana":
        rules = Path(argv[argv.index("--rules") + 1]) if "--rules" in argv else None
        check_grafana(Path(argv[2]), Path(argv[3]), rules)
    elif cmd == "flags":
        check_flags(Path(argv[2]), argv[3])
    elif cmd == "exposition":
        check_exposition(argv[2], Path(argv[3]))
    elif cmd == "smoke":
        check_smoke(Path(argv[2]), argv[3], argv[4], *argv[5:6])
    elif cmd == "runtime-libs":
        check_runtime_libs(Path(argv[2]), argv[3])
    else:
        print(__doc__)
        return 2
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
