"""The project's own files set everything up: pyproject is the single source of truth."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_parses_and_installs_the_package_from_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python="))
    version = python.split("=")[1]
    spec = PYPROJECT["project"]["requires-python"]
    low = re.search(r">=\s*([\d.]+)", spec).group(1)
    high = re.search(r"<\s*([\d.]+)", spec).group(1)
    as_tuple = lambda v: tuple(int(p) for p in v.split("."))
    assert as_tuple(low) <= as_tuple(version) < as_tuple(high), f"environment.yml's python {version} violates {spec}"
    assert "pip" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert pip == ["-e .[book,test]"], "environment.yml must install the package (and its extras) from pyproject.toml"
    extras = set(PYPROJECT["project"]["optional-dependencies"])
    assert {"book", "test"} <= extras


def test_dependencies_are_ranges_not_exact_pins():
    deps = list(PYPROJECT["project"]["dependencies"])
    for extra in PYPROJECT["project"]["optional-dependencies"].values():
        deps += extra
    for dep in deps:
        assert "==" not in dep, f"{dep}: pin with a tested range, not =="
        assert "<" in dep and ">=" in dep, f"{dep}: give a tested lower bound and an upper bound"
    book = " ".join(PYPROJECT["project"]["optional-dependencies"]["book"])
    assert "jupyter-book>=1.0.4,<2" in book, "Jupyter Book 2 is a different tool: stay on 1.x"
    assert "jupytext" in book


def test_ci_runs_exactly_the_readme_test_command():
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1].strip() == "make test"
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme


def test_makefile_sets_up_its_own_environment():
    makefile = (ROOT / "Makefile").read_text()
    assert "-m venv" in makefile and 'pip install --quiet -e ".[book,test]"' in makefile
    assert re.search(r"^book: .*\$\(STAMP\)", makefile, re.M) and re.search(r"^test: .*\$\(STAMP\)", makefile, re.M)


def test_no_third_party_javascript_or_outputs_are_committed():
    import subprocess

    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert not [f for f in files if f.endswith(".js")], "third-party JS comes from npm at build time, never from git"
    assert not [f for f in files if f.startswith(("_build/", ".venv/"))]


def test_committed_notebooks_have_no_outputs():
    import json
    import subprocess

    files = subprocess.run(
        ["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        nb = json.loads((ROOT / name).read_text())
        with_output = [i for i, c in enumerate(nb["cells"]) if c.get("outputs") or c.get("execution_count")]
        assert not with_output, (
            f"{name} is committed with outputs in cells {with_output}: clear them (outputs come from the build)"
        )


def test_the_background_session_is_niced_against_pytests(tmp_path):
    """The second execution leads its own session; under autogroup scheduling its group must be niced, not only it."""
    import subprocess

    import pytest

    from conftest import lower_priority

    if not Path("/proc/self/autogroup").exists():
        pytest.skip("this kernel has no autogroup scheduling: the process's niceness is what counts")
    ours = Path("/proc/self/autogroup").read_text()
    proc = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        lower_priority(proc.pid, 15)
        assert Path(f"/proc/{proc.pid}/autogroup").read_text().split()[-1] == "15"
        assert Path("/proc/self/autogroup").read_text() == ours  # pytest's own group untouched
    finally:
        proc.kill()
        proc.wait()
