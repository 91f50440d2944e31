"""Make sure Debian's Chromium is installed for the browser tests (`make test` calls this).

Installs it with apt when it is missing and we are root; otherwise exits with
a message saying how to install it. Never downloads a browser of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def find() -> str | None:
    """Path of an installed Chromium, or None."""
    return next((p for p in CANDIDATES if os.access(p, os.X_OK)), None) or shutil.which("chromium")


def main() -> int:
    if find():
        return 0
    if os.geteuid() != 0:
        print(
            "Chromium is needed for the browser tests and is not installed.\n"
            "Install Debian's package as root:  apt-get update && apt-get install -y chromium",
            file=sys.stderr,
        )
        return 1
    print("Installing Debian's chromium for the browser tests (apt-get) ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], check=True, env=env)
    if not find():
        print("apt-get finished but no chromium binary was found", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
