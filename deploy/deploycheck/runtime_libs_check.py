"""The image's runtime packages provide every shared library apus links."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .common import error


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
