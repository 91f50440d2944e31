"""End to end: a learner with only the website runs a chapter notebook and a graded notebook in a fresh environment.

The built site is served on 127.0.0.1. A new virtual environment sees the project's installed dependencies (jax,
ipykernel, ...) through a `.pth` file, read-only, but not gradflow (an editable install is itself a `.pth` file,
which Python does not follow from there), and pip in it may not use the network (PIP_NO_INDEX): tests never need
it. The chapter notebook (chapter 2) and the graded notebook of chapter 1 are downloaded from the site and run top to
bottom in that environment's kernel: each one's first cell installs gradflow from the wheel the site ships into the
fresh environment (gradflow is uninstalled in between; its dependencies are already there, as they would come from
the package index for a learner) and every other cell runs without an error.

The site under test was built with `html: baseurl:` empty, so its notebooks' first cell says what to do instead of
installing (tests/test_site.py checks that). The published address here is the local server's, so the test gives the
downloaded notebooks the first cell the build writes when `html: baseurl:` is that address (`install_cell`, the
build's own function). The install time is printed and kept in test-artifacts/install_from_site.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

from browser_helpers import ROOT, serve
from test_site import _load_extension

pytestmark = pytest.mark.book

CHAPTER = "chapters/02_backpropagation"
GRADED = "ch01.ipynb"


def _download(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read().decode("utf-8"))


def _fresh_environment(folder: Path) -> Path:
    """A virtual environment that sees the project's dependencies but not gradflow; returns its python."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    python = folder / "bin" / "python"
    (site,) = (folder / "lib").glob("python3*/site-packages")
    (site / "project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = subprocess.run([str(python), "-c", "import gradflow"], capture_output=True, env=clean)
    assert probe.returncode != 0, "the fresh environment must not see gradflow before the notebook installs it"
    return python


def _run(notebook: dict, python: Path, cwd: Path, monkeypatch) -> list[float]:
    """Execute `notebook` top to bottom in `python`'s kernel; returns each code cell's duration in seconds."""
    import nbformat
    from nbclient import NotebookClient

    kernels = cwd / "kernels" / "fresh"
    kernels.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"], "language": "python"}
    (kernels / "kernel.json").write_text(json.dumps({**spec, "display_name": "fresh"}))
    monkeypatch.setenv("JUPYTER_PATH", str(cwd))
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # the install cell may fetch nothing but the site's wheel
    for name in ("PYTHONPATH", "GRADFLOW_STATIC_EXPLORERS", "GRADFLOW_SEED_SET", "XLA_FLAGS"):
        monkeypatch.delenv(name, raising=False)
    nb = nbformat.reads(json.dumps(notebook), as_version=4)
    client = NotebookClient(nb, kernel_name="fresh", timeout=900, resources={"metadata": {"path": str(cwd)}})
    client.execute()
    durations = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            timing = cell.metadata.get("execution", {})
            start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
            durations.append(_seconds(end) - _seconds(start) if start and end else float("nan"))
    return durations


def _seconds(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_a_fresh_environment_runs_the_sites_notebooks(html_dir: Path, tmp_path: Path, monkeypatch) -> None:
    ext = _load_extension()
    graded = sorted((html_dir / "_downloads").rglob(GRADED))
    assert graded, f"the site offers no {GRADED}"
    timings: dict[str, float] = {}
    with serve(html_dir) as site:
        cell = ext.install_cell(site, "")
        start = time.perf_counter()
        python = _fresh_environment(tmp_path / "venv")
        timings["fresh venv (s)"] = round(time.perf_counter() - start, 1)
        notebooks = {
            "chapter 2": _download(f"{site}_sources/{CHAPTER}.ipynb"),
            "graded ch01": _download(f"{site}{graded[0].relative_to(html_dir).as_posix()}"),
        }
        for name, notebook in notebooks.items():
            # Each notebook's own first cell installs gradflow from the site.
            subprocess.run([str(python), "-m", "pip", "uninstall", "--quiet", "--yes", "gradflow"], check=False)
            assert ext.INSTALL_CELL_ID in notebook["cells"][0]["metadata"].get("tags", []), f"{name}: no install cell"
            notebook = ext.with_install_cell(notebook, cell)
            start = time.perf_counter()
            durations = _run(notebook, python, tmp_path, monkeypatch)
            timings[f"{name}: first cell, installing gradflow from the site (s)"] = round(durations[0], 1)
            timings[f"{name}: whole notebook (s)"] = round(time.perf_counter() - start, 1)
    shown = subprocess.run(
        [str(python), "-c", "import gradflow, sys; print(gradflow.__file__)"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert str(tmp_path / "venv") in shown.stdout, f"gradflow did not come from the site's wheel: {shown}"
    print("\n" + "\n".join(f"{k}: {v}" for k, v in timings.items()))
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    (ROOT / "test-artifacts" / "install_from_site.json").write_text(json.dumps(timings, indent=1) + "\n")
