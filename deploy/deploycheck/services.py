"""Starting apus services on loopback and talking HTTP to them."""
from __future__ import annotations

import json
import re
import subprocess


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
