"""Make sure bubblewrap (``bwrap``), the grader's sandbox, is installed for the grading tests (`make test` calls this).

Installs Debian's ``bubblewrap`` with apt when it is missing and we are root; otherwise exits with a message saying
how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def main() -> int:
    """Exit status 0 when ``bwrap`` is on PATH (after installing it if we can)."""
    if shutil.which("bwrap"):
        return 0
    if os.geteuid() != 0:
        print(
            "bubblewrap is needed by the grader's sandbox and is not installed.\n"
            "Install Debian's package as root:  apt-get update && apt-get install -y bubblewrap",
            file=sys.stderr,
        )
        return 1
    print("Installing Debian's bubblewrap for the grader's sandbox (apt-get) ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "bubblewrap"], check=True, env=env)
    if not shutil.which("bwrap"):
        print("apt-get finished but no bwrap binary was found", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
