"""Consistency checks for deploy/ that no schema can express, run by scripts/validate-deploy.sh as
`python -m deploycheck SUBCOMMAND ...` with deploy/ on PYTHONPATH.

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

import sys
from pathlib import Path

from .common import errors
from .compose_check import check_compose
from .exposition_check import check_exposition
from .flags_check import check_flags
from .grafana_check import check_grafana
from .kubernetes_check import check_kubernetes
from .runtime_libs_check import check_runtime_libs
from .smoke_check import check_smoke
from .systemd_check import check_systemd


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


sys.exit(main(sys.argv))
