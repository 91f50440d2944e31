"""Shared fixtures: the book is built (every chapter executed fresh) once per test session.

Set GRADFLOW_BUILT_BOOK=/path/to/dir (a directory holding `_build/html`) to reuse an
existing build while developing; CI always builds fresh.

The second execution of every chapter (another seed set, a smaller CPU instruction set:
``tools/second_execution.py``) starts in the background when the book build starts, one
chapter at a time, so the two share the machine's cores; ``tests/test_second_execution.py``
waits for it. Set GRADFLOW_SECOND_EXECUTION=/dir to reuse the JSON results of an earlier one.

The tests, the book build they start and the chapters they execute share XLA's persistent compilation cache
with ``make book`` (``_build/.jax_cache``; ``make clean`` empties it): on a CPU, compiling, not computing,
dominates most tests, and a function compiled once (in an earlier run, or by another process of this one) is
read back from disk. Every compilation is cached, however short: the unit tests compile hundreds of small
functions (each eager operation is one) in 0.05-0.5 s each. Set JAX_COMPILATION_CACHE_DIR to put the cache
elsewhere, or to the empty string to run without one. The second execution stays cold (it removes the variable).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Before any test module imports jax: JAX reads these when it is first imported (the kernels and tools this
# session starts inherit them).
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(ROOT / "_build" / ".jax_cache"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1")


@pytest.fixture(scope="session")
def second_execution(tmp_path_factory):
    """(process or None, results folder, log file) of the background second execution."""
    reuse = os.environ.get("GRADFLOW_SECOND_EXECUTION")
    if reuse:
        yield None, Path(reuse), None
        return
    out = tmp_path_factory.mktemp("second_execution")
    log = out / "run.log"
    cmd = [sys.executable, str(ROOT / "tools" / "second_execution.py"), "--out", str(out), "--jobs", "1"]
    with log.open("w") as sink:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    yield proc, out, log
    if proc.poll() is None:  # the session ended without waiting for it (only some tests were selected)
        os.killpg(proc.pid, 9)
        proc.wait()


@pytest.fixture(scope="session")
def book(tmp_path_factory, second_execution) -> Path:
    """Directory holding `_build/html` and `_build/jupyter_execute` of a fresh `-W -n` build."""
    reuse = os.environ.get("GRADFLOW_BUILT_BOOK")
    if reuse:
        return Path(reuse)
    out = tmp_path_factory.mktemp("book")
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--path-output", str(out)]
    cmd += ["-W", "-n", "--keep-going"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    log = out / "build.log"
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        warnings = [line for line in (proc.stdout + proc.stderr).splitlines() if "WARNING" in line or "ERROR" in line]
        pytest.fail(f"the book build failed (exit {proc.returncode}); full log in {log}\n" + "\n".join(warnings[-40:]))
    return out


@pytest.fixture(scope="session")
def html_dir(book: Path) -> Path:
    return book / "_build" / "html"


@pytest.fixture(scope="session")
def executed(book: Path) -> dict[str, dict]:
    """Executed chapter notebooks, keyed by docname (e.g. 'chapters/02_backpropagation')."""
    base = book / "_build" / "jupyter_execute"
    return {p.relative_to(base).with_suffix("").as_posix(): json.loads(p.read_text()) for p in base.rglob("*.ipynb")}


@pytest.fixture(scope="session")
def glued(book: Path) -> dict[str, dict[str, str]]:
    """{docname: {glue key: text/plain value}} from the `.glue.json` files myst-nb writes beside each notebook."""
    base = book / "_build" / "jupyter_execute"
    found = {}
    for path in base.rglob("*.glue.json"):
        doc = path.relative_to(base).as_posix().removesuffix(".glue.json")
        found[doc] = {key: out["data"]["text/plain"] for key, out in json.loads(path.read_text()).items()}
    return found


@pytest.fixture(scope="session")
def browser():
    """One headless Debian chromium for the whole session (never a downloaded browser).

    Shared by the site's and JupyterLab's browser tests: playwright's sync API runs one event loop per thread, so a
    second `sync_playwright()` while this one is open fails ("using Playwright Sync API inside the asyncio loop").
    """
    from browser_helpers import CHROMIUM_ARGS, INSTALL_HINT, find_chromium

    chromium = find_chromium()
    if chromium is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("python playwright is missing: install the test extras (`make test` does)", pytrace=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
