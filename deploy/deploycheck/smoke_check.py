"""The Kubernetes, compose and systemd flags each run as a working loopback cluster."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml

from .common import VAR_REF, WORKLOADS, error, load_docs
from .services import free_port, http
from .systemd_check import systemd_words


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
            try:
                proc = subprocess.Popen([apus, sub] + args, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
            except OSError as failure:
                error(f"cannot run {apus}: {failure}")
                return
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
