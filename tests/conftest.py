"""Shared fixtures: the book is built (every chapter executed fresh) once per test session.

Set GRADFLOW_BUILT_BOOK=/path/to/dir (a directory holding `_build/html`) to reuse an
existing build while developing; CI always builds fresh.

The book build and the second execution of every chapter (another seed set, a smaller CPU
instruction set: ``tools/second_execution.py``, at low priority) start in the background as soon
as the tests are collected, and the unit tests run meanwhile. The tests that read the book run as
soon as it is built (at the next boundary between two test files), so that the browser, which
keeps one core busy, runs while the second execution takes the other; the second execution's tests
run last and wait for it. Set GRADFLOW_SECOND_EXECUTION=/dir to reuse the JSON results of an earlier one.

The tests, the book build they start and the chapters they execute share XLA's persistent compilation cache
with ``make book`` (``_build/.jax_cache``; ``make clean`` empties it): on a CPU, compiling, not computing,
dominates most tests, and a function compiled once (in an earlier run, or by another process of this one) is
read back from disk. Every compilation is cached, however short: the unit tests compile hundreds of small
functions (each eager operation is one) in 0.05-0.5 s each. Set JAX_COMPILATION_CACHE_DIR to put the cache
elsewhere, or to the empty string to run without one. The second execution stays cold (it removes the variable).
"""

from __future__ import annotations

import contextlib
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


# Tests that read the built book (or the second execution) run last, and both start in the background as soon as the
# tests are collected: they run beside the unit tests (which keep one core busy) instead of after them.
BOOK_FIXTURES = {"book", "html_dir", "executed", "glued", "second_execution"}
_BACKGROUND: dict[str, tuple] = {}


def _needs_book(item: pytest.Item) -> bool:
    return bool(BOOK_FIXTURES & set(getattr(item, "fixturenames", ())))


def _start(name: str, cmd: list[str], out: Path, nice: int = 0) -> None:
    log = out / ("build.log" if name == "book" else "run.log")
    with log.open("w") as sink:
        niced = ["nice", "-n", str(nice), *cmd] if nice else cmd  # the process and all it starts
        proc = subprocess.Popen(niced, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    if nice:
        lower_priority(proc.pid, nice)
    _BACKGROUND[name] = (proc, out, log)


def lower_priority(pid: int, nice: int) -> None:
    """Lower the CPU priority of the session that ``pid`` leads, against the other sessions (pytest's, the book's).

    ``nice -n`` alone does not do it where Linux groups processes by session for scheduling (autogroup, on by default
    in many kernels): niceness then orders only the processes of one session, and a new session gets as large a share
    of the CPU as pytest's. The session's group has a niceness of its own, set here (``/proc/PID/autogroup``).
    """
    with contextlib.suppress(OSError):  # no autogroup in this kernel: the process's own niceness is what counts
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))


def _start_background(config: pytest.Config) -> None:
    factory = config._tmp_path_factory  # the session's tmp_path_factory (pytest's tmpdir plugin)
    if not os.environ.get("GRADFLOW_SECOND_EXECUTION"):
        out = factory.mktemp("second_execution")
        cmd = [sys.executable, str(ROOT / "tools" / "second_execution.py"), "--out", str(out), "--jobs", "2"]
        # At low priority: nothing waits for it until the last tests, so the unit tests, the book build and the
        # browser take the cores first and it fills the gaps they leave (two chapters at a time: both cores, once
        # the tests are done).
        _start("second", cmd, out, nice=15)
    if not os.environ.get("GRADFLOW_BUILT_BOOK"):
        out = factory.mktemp("book")
        cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--path-output", str(out)]
        _start("book", [*cmd, "-W", "-n", "--keep-going"], out)


@pytest.hookimpl(trylast=True)  # after -m/-k deselected what will not run
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_needs_book)  # stable: the book's tests last, in their usual order
    if not config.option.collectonly and any(_needs_book(item) for item in items):
        _start_background(config)


def _reads_book_only(item: pytest.Item) -> bool:
    return _needs_book(item) and "second_execution" not in getattr(item, "fixturenames", ())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Once the book is built, move the tests that read it to the next boundary between two unit-test files."""
    result = yield
    book = _BACKGROUND.get("book")
    ready = os.environ.get("GRADFLOW_BUILT_BOOK") or (book is not None and book[0].poll() is not None)
    between_files = nextitem is not None and nextitem.path != item.path and not _needs_book(nextitem)
    if ready and between_files and not _needs_book(item):
        items = item.session.items
        here = items.index(item) + 1
        moved = [i for i in items[here:] if _reads_book_only(i)]
        if moved:  # the loop reads items[here] next; item's teardown already saw that nextitem is in another file
            rest = [i for i in items[here:] if not _reads_book_only(i)]
            items[here:] = moved + rest
    return result


def pytest_sessionfinish(session: pytest.Session) -> None:
    for proc, _, _ in _BACKGROUND.values():  # a session that ended without waiting (e.g. -x, or ^C)
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()


@pytest.fixture(scope="session")
def second_execution(pytestconfig):
    """(process or None, results folder, log file) of the background second execution."""
    reuse = os.environ.get("GRADFLOW_SECOND_EXECUTION")
    if reuse:
        return None, Path(reuse), None
    if "second" not in _BACKGROUND:
        _start_background(pytestconfig)
    return _BACKGROUND["second"]


@pytest.fixture(scope="session")
def book(pytestconfig) -> Path:
    """Directory holding `_build/html` and `_build/jupyter_execute` of a fresh `-W -n` build."""
    reuse = os.environ.get("GRADFLOW_BUILT_BOOK")
    if reuse:
        return Path(reuse)
    if "book" not in _BACKGROUND:
        _start_background(pytestconfig)
    proc, out, log = _BACKGROUND["book"]
    if proc.wait() != 0:
        lines = log.read_text(errors="replace").splitlines()
        warnings = [line for line in lines if "WARNING" in line or "ERROR" in line]
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
