"""Kubernetes manifests: references between objects, probes, drain, resources, replica counts."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from .common import VAR_REF, WORKLOADS, error, load_docs


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
