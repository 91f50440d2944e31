"""`make lab`: JupyterLab at the repository root, set up to read like the website.

- Chapters (`chapters/*.md`) open as notebooks on a double-click, through jupytext (the default viewer for Markdown
  files, from `.jupyter/labconfig/default_setting_overrides.json`: the project's defaults, below the user's own
  settings, never written to the user's home).
- jupyterlab-myst renders their MyST: admonitions, figures, and exercises whose solutions stay folded until asked for.
- The numbers in the prose render: `tools/gradflow_lab.py` shows each `{glue:text}` role as an `{eval}` of the value
  the chapter glued (kernel and server sides, loaded through `.jupyter/`), and saving writes the chapter back
  byte for byte.

Extra arguments go to `jupyter lab` (e.g. `--no-browser --port 8899`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_JUPYTER = ROOT / ".jupyter"


def _prepend(name: str, value: Path, env: dict[str, str]) -> None:
    env[name] = os.pathsep.join([str(value), *filter(None, [env.get(name)])])


def lab_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment `jupyter lab` runs in: the project's Jupyter config, kernelspec and helper module first."""
    env = dict(os.environ if env is None else env)
    _prepend("JUPYTER_CONFIG_PATH", PROJECT_JUPYTER, env)  # labconfig/ and jupyter_server_config.json
    _prepend("JUPYTER_PATH", PROJECT_JUPYTER, env)  # kernels/python3: ipykernel with the glue bridge loaded
    _prepend("PYTHONPATH", ROOT / "tools", env)  # gradflow_lab, for the server and the kernels
    return env


def command(extra: list[str]) -> list[str]:
    """`jupyter lab` at the repository root (unless `extra` names another root: the tests use a copy)."""
    root = (
        []
        if any(a.startswith(("--ServerApp.root_dir", "--notebook-dir")) for a in extra)
        else [f"--ServerApp.root_dir={ROOT}"]
    )
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []  # containers, CI
    return [sys.executable, "-m", "jupyterlab", *root, *as_root, *extra]


def main(argv: list[str] | None = None) -> None:
    args = command(sys.argv[1:] if argv is None else argv)
    os.execvpe(args[0], args, lab_environment())


if __name__ == "__main__":
    main()
