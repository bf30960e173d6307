#!/usr/bin/env python3
"""Slow and oversized HTTP clients against a running Apus api (issue 16's edge limits).

    python3 scripts/probe-slow-clients.py --base http://127.0.0.1:8000 [--key KEY] [--clients 300]
        [--read-timeout 2] [--max-body 100000]

`--read-timeout` and `--max-body` must be the api's `--request-read-timeout` and `--max-request-body-size`.
Checks, printing one line each and exiting 1 on the first failure:
  1. a declared Content-Length over the limit gets 413 at once, before any body is sent, and the connection closes;
  2. a chunked body over the limit gets 413 and the connection closes;
  3. with --clients connections trickling an unfinished request head (slowloris), normal requests keep their
     latency (p50 at most 3x the quiet p50 + 20 ms), and the server closes every slow connection within the read
     timeout plus 2 s;
  4. a normal request still succeeds afterwards.
Standard library only.
"""
import argparse
import json
import socket
import statistics
import sys
import time
import urllib.request


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def connect(host, port):
    s = socket.create_connection((host, port), timeout=10)
    return s


def status_line(s):
    data = b""
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n")[0].decode(errors="replace")


def closed_by_server(s, wait):
    """True if the server closes `s` within `wait` seconds (reads drain whatever else it sent)."""
    s.settimeout(wait)
    deadline = time.time() + wait
    try:
        while time.time() < deadline:
            if s.recv(65536) == b"":
                return True
    except (socket.timeout, TimeoutError):
        return False
    except OSError:
        return True
    return False


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--key", default="")
    p.add_argument("--clients", type=int, default=300)
    p.add_argument("--read-timeout", type=float, required=True)
    p.add_argument("--max-body", type=int, required=True)
    a = p.parse_args()
    host, port = a.base.split("//")[1].split(":")
    port = int(port.split("/")[0])
    auth = {"Authorization": f"Bearer {a.key}"} if a.key else {}
    auth_line = f"Authorization: Bearer {a.key}\r\n" if a.key else ""

    models = json.load(urllib.request.urlopen(urllib.request.Request(f"{a.base}/v1/models", headers=auth)))
    body = json.dumps({"model": models["data"][0]["id"], "prompt": "hello", "max_tokens": 4}).encode()

    def normal():
        start = time.time()
        request = urllib.request.Request(
            f"{a.base}/v1/completions", data=body, headers={"content-type": "application/json", **auth})
        with urllib.request.urlopen(request, timeout=30) as r:
            r.read()
            if r.status != 200:
                fail(f"a normal request got {r.status}")
        return (time.time() - start) * 1000

    # 1. Declared too large: answered from the head alone.
    s = connect(host, port)
    start = time.time()
    s.sendall(f"POST /v1/completions HTTP/1.1\r\nHost: x\r\n{auth_line}Content-Type: application/json\r\n"
              f"Content-Length: {a.max_body * 100}\r\n\r\n".encode())
    line = status_line(s)
    if not line.startswith("HTTP/1.1 413"):
        fail(f"declared oversized body: expected 413, got {line!r}")
    if not closed_by_server(s, 2):
        fail("declared oversized body: the connection stayed open after the 413")
    print(f"declared Content-Length {a.max_body * 100}: {line} in {(time.time() - start) * 1000:.1f} ms, "
          "connection closed, no body sent")

    # 2. Chunked and too large: 413 once the limit is passed.
    s = connect(host, port)
    s.sendall(f"POST /v1/completions HTTP/1.1\r\nHost: x\r\n{auth_line}Content-Type: application/json\r\n"
              "Transfer-Encoding: chunked\r\n\r\n".encode())
    piece = b"a" * 8192
    sent = 0
    try:
        while sent <= a.max_body * 4:
            s.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            sent += len(piece)
    except OSError:
        pass
    line = status_line(s)
    if not line.startswith("HTTP/1.1 413"):
        fail(f"chunked oversized body: expected 413, got {line!r}")
    if not closed_by_server(s, 2):
        fail("chunked oversized body: the connection stayed open after the 413")
    print(f"chunked body past {a.max_body} bytes: {line}, connection closed")

    # 3. Slowloris.
    quiet = [normal() for _ in range(20)]
    slow = []
    opened = time.time()
    for _ in range(a.clients):
        c = connect(host, port)
        c.sendall(f"POST /v1/completions HTTP/1.1\r\nHost: x\r\n".encode())
        slow.append(c)
    loaded = []
    while time.time() - opened < a.read_timeout * 0.8:
        for c in slow:
            try:
                c.sendall(b"X-Slow: 1\r\n")
            except OSError:
                pass
        loaded += [normal() for _ in range(5)]
        time.sleep(0.1)
    quiet_p50, loaded_p50 = statistics.median(quiet), statistics.median(loaded)
    print(f"{a.clients} slow clients: normal requests p50 {loaded_p50:.1f} ms (quiet {quiet_p50:.1f} ms), "
          f"max {max(loaded):.1f} ms over {len(loaded)} requests")
    if loaded_p50 > 3 * quiet_p50 + 20:
        fail("normal requests slowed down under the slow clients")
    left = a.read_timeout + 2 - (time.time() - opened)
    closed = sum(1 for c in slow if closed_by_server(c, max(0.05, left)))
    print(f"slow connections closed by the server within {a.read_timeout + 2:.1f} s: {closed}/{a.clients}")
    if closed != a.clients:
        fail("the server left slow connections open past the read timeout")

    # 4. Still serving.
    normal()
    print("a normal request afterwards: 200")


if __name__ == "__main__":
    main()
