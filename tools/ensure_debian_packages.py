"""Make sure the Debian packages the tests drive are installed (`make test` calls this).

``chromium`` for the browser tests and ``bubblewrap`` (``bwrap``) for the grader's sandbox. Installs the
missing ones with one apt-get run when we are root; otherwise exits with a message saying how to install
them. Never downloads a program of its own.

    python tools/ensure_debian_packages.py [PACKAGE ...]   (default: all of PACKAGES)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# Debian package -> (the programs that show it is installed, what needs it)
PACKAGES = {
    "chromium": (("/usr/bin/chromium", "/usr/bin/chromium-browser", "chromium"), "the browser tests"),
    "bubblewrap": (("bwrap",), "the grader's sandbox"),
}


def installed(package: str) -> bool:
    """Whether one of ``package``'s programs is on PATH (or at its absolute path)."""
    programs, _ = PACKAGES[package]
    return any(os.access(p, os.X_OK) if p.startswith("/") else shutil.which(p) for p in programs)


def main(packages: list[str]) -> int:
    unknown = [p for p in packages if p not in PACKAGES]
    if unknown:
        print(f"unknown package(s) {unknown}; known: {sorted(PACKAGES)}", file=sys.stderr)
        return 2
    missing = [p for p in packages if not installed(p)]
    if not missing:
        return 0
    why = "; ".join(f"{p} for {PACKAGES[p][1]}" for p in missing)
    if os.geteuid() != 0:
        print(f"Needed and not installed: {why}.\nInstall them as root:  apt-get update && apt-get install -y "
              + " ".join(missing), file=sys.stderr)  # fmt: skip
        return 1
    print(f"Installing Debian's {' and '.join(missing)} ({why}) with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], check=True, env=env)
    still = [p for p in missing if not installed(p)]
    if still:
        print(f"apt-get finished but these are still missing: {still}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or list(PACKAGES)))
