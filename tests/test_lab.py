"""JupyterLab as a learner gets it from `make lab` (`tools/lab.py`), in Debian's chromium driven by playwright.

JupyterLab runs on a copy of the chapters and exercises (so nothing a test types reaches the repository), with empty
user settings (so what it shows comes from the project's `.jupyter/`, never from a home directory). Chapter 2 opens as
a notebook on a double-click, runs all with no error or warning, shows its numbers (no raw `{glue` role) and keeps
every solution folded until it is opened; its explorer's slider redraws the figure; saving it changes no byte. The
graded notebook of chapter 1 opens from `exercises/student/`, and `check("q1")` answers a wrong then a right answer.
The run-all and redraw times are printed (`pytest -s`) and kept in test-artifacts/lab_timings.json.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from browser_helpers import ROOT

pytestmark = [pytest.mark.browser]

CHAPTER = "02_backpropagation.md"
TOKEN = "gradflow-test"
TIMEOUT_MS = 60_000
RUN_ALL_S = 240
ARTIFACTS = ROOT / "test-artifacts"
TIMINGS: dict[str, float] = {}
WRONG_Q1 = 'def sigmoid_derivative(x):\n    """d sigmoid / dx, elementwise."""\n    return 1 / (1 + jnp.exp(-x))'
RIGHT_Q1 = 'def sigmoid_derivative(x):\n    """d sigmoid / dx, elementwise."""\n    s = jax.nn.sigmoid(x)\n    return s * (1 - s)'

sys.path.insert(0, str(ROOT / "tools"))
import lab as lab_tool  # noqa: E402  (tools/lab.py: the command `make lab` runs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> dict:
    """JupyterLab started by the project's command on a copy of the course; yields its URL and folders."""
    work = tmp_path_factory.mktemp("lab")
    root = work / "course"
    shutil.copytree(ROOT / "chapters", root / "chapters", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "exercises" / "student", root / "exercises" / "student")
    shutil.copy(ROOT / "jupytext.toml", root / "jupytext.toml")
    env = lab_tool.lab_environment()
    env.update(
        JUPYTERLAB_SETTINGS_DIR=str(work / "user-settings"),  # a learner with no settings of their own
        JUPYTERLAB_WORKSPACES_DIR=str(work / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(work / "runtime"),
    )
    port = _free_port()
    args = ["--no-browser", f"--port={port}", f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={TOKEN}"]
    args += ["--LabApp.expose_app_in_browser=True", "--LabApp.news_url=", "--ServerApp.port_retries=0"]
    log = work / "lab.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tools" / "lab.py"), *args], env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):
            if proc.poll() is not None:
                pytest.fail(f"`tools/lab.py` exited ({proc.returncode}):\n{log.read_text()[-3000:]}", pytrace=False)
            try:
                urllib.request.urlopen(f"{url}api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"JupyterLab did not start in 120 s:\n{log.read_text()[-3000:]}", pytrace=False)
        yield {"url": url, "root": root, "log": log}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "lab_timings.json").write_text(json.dumps(TIMINGS, indent=1) + "\n")


@pytest.fixture(scope="module")
def page(lab, browser):
    """A page of the session's chromium (conftest.browser) on this JupyterLab, every other request blocked."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route(lambda url: not url.startswith(lab["url"]), lambda route: route.abort())
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.goto(f"{lab['url']}lab?token={TOKEN}")
    pg.locator(".jp-DirListing-item").first.wait_for()
    yield pg
    context.close()


def _open_by_double_click(page, *names: str) -> None:
    """From the file browser's root, double-click each folder and then the file."""
    page.locator(".jp-FileBrowser .jp-BreadCrumbs-home").first.click()
    for name in names:
        item = page.locator(".jp-DirListing-item").filter(
            has=page.locator(".jp-DirListing-itemText", has_text=re.compile(f"^{re.escape(name)}$"))
        )
        item.first.dblclick()
    page.wait_for_function(
        "(name) => { const w = window.jupyterapp.shell.currentWidget; return w && w.title.label === name; }",
        arg=names[-1],
    )


CURRENT = "window.jupyterapp.shell.currentWidget"
IS_NOTEBOOK = f"() => !!({CURRENT}.content && {CURRENT}.content.widgets && {CURRENT}.sessionContext)"
KERNEL_IDLE = f"() => {{ const s = {CURRENT}.sessionContext; return !!s.session && s.session.kernel && s.kernelDisplayStatus === 'idle'; }}"
ALL_RUN = f"""() => {{
  const cells = {CURRENT}.content.widgets.filter(c => c.model.type === 'code');
  return cells.length > 0 && cells.every(c => c.model.executionCount !== null) &&
    {CURRENT}.sessionContext.kernelDisplayStatus === 'idle';
}}"""
TEXT = f"() => {CURRENT}.content.node.innerText"


def _solutions(chapter: Path) -> list[str]:
    """For each solution in the chapter, its longest run of plain words found nowhere else in the chapter."""
    text = chapter.read_text(encoding="utf-8")
    pattern = r"```\{solution\}[^\n]*\n(.*?)\n```"
    rest = re.sub(pattern, "", text, flags=re.S)
    found = []
    for block in re.findall(pattern, text, re.S):
        lines = [ln for ln in block.splitlines() if ln.strip() and not ln.startswith(":")]
        plain = re.sub(r"\$[^$]*\$|`[^`]*`|\{[^}]*\}", "\n", "\n".join(lines))  # math, code and roles out
        runs = [r.strip() for r in re.split(r"[$*_\\()]|\n", plain) if r.strip() and r.strip() not in rest]
        found.append(max(runs, key=len, default=""))
    return found


def _run_cell(page, index: int, source: str | None = None) -> str:
    """Run the cell at `index` (after replacing its source); returns its output text."""
    page.evaluate(
        """([i, source]) => {
          const nb = window.jupyterapp.shell.currentWidget.content;
          if (source !== null) nb.widgets[i].model.sharedModel.setSource(source);
          nb.activeCellIndex = i;
          window.jupyterapp.commands.execute('notebook:run-cell');
        }""",
        [index, source],
    )
    page.wait_for_function(
        f"(i) => {{ const c = {CURRENT}.content.widgets[i]; return c.model.executionCount !== null && "
        f"{CURRENT}.sessionContext.kernelDisplayStatus === 'idle'; }}",
        arg=index,
        timeout=120_000,
    )
    return page.evaluate(f"(i) => {CURRENT}.content.widgets[i].node.querySelector('.jp-OutputArea').innerText", index)


def _open_and_run_all(page, lab, name: str) -> tuple[Path, bytes, list[str]]:
    """Open chapter `name` by double-click, check it before and after Run All; returns (path, bytes, solutions)."""
    chapter = lab["root"] / "chapters" / name
    committed = chapter.read_bytes()
    _open_by_double_click(page, "chapters", name)
    assert page.evaluate(IS_NOTEBOOK), f"a double-click opened {name} in a text editor, not as a notebook"
    page.wait_for_function(KERNEL_IDLE, timeout=120_000)

    solutions = _solutions(chapter)
    assert solutions and all(len(s) >= 8 for s in solutions), f"{name}'s solutions: {solutions}"
    text = page.evaluate(TEXT)
    shown = [s for s in solutions if s in text]
    assert not shown, f"solutions visible before they are opened: {shown}"

    start = time.perf_counter()
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); return true; }")
    page.wait_for_function(ALL_RUN, timeout=RUN_ALL_S * 1000, polling=200)
    TIMINGS[f"{name} run-all (s)"] = round(time.perf_counter() - start, 1)
    print(f"\n{name} run-all in JupyterLab: {TIMINGS[f'{name} run-all (s)']} s")
    page.wait_for_function(f"() => !/glued\\(/.test(({TEXT})())", timeout=30_000)
    text = page.evaluate(TEXT)
    problems = []
    for raw in ("{glue", "{eval", "glued(", "run the cells above", "No renderer could be found"):
        if raw in text:
            at = text.index(raw)
            problems.append(f"the notebook shows {raw!r}: ...{text[max(0, at - 80) : at + 80]!r}")
    errors = page.evaluate(
        f"""() => Array.from({CURRENT}.content.node.querySelectorAll(
          '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')).map(o => o.innerText.slice(0, 200))"""
    )
    problems += [f"an error or warning output: {e}" for e in errors]
    shown = [s for s in solutions if s in text]
    problems += [f"a solution is visible before it is opened: {s!r}" for s in shown]
    results = page.evaluate(
        f"""() => {CURRENT}.content.widgets.filter(c => c.model.type === 'markdown')
          .flatMap(c => c.model.getMetadata('user_expressions') || [])
          .map(e => [e.expression, e.result.status, (e.result.data || {{}})['text/plain'] || ''])"""
    )
    glues = len(re.findall(r"\{glue:text\}", chapter.read_text(encoding="utf-8")))
    ok = [r for r in results if r[1] == "ok" and re.search(r"\d", r[2])]
    if len(ok) != glues:
        problems.append(f"{len(ok)} of the chapter's {glues} numbers rendered: {results}")
    assert not problems, f"{name} in JupyterLab:\n  " + "\n  ".join(problems)

    return chapter, committed, solutions


def _saving_changes_nothing(page, chapter: Path, committed: bytes) -> None:
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function(f"() => !{CURRENT}.context.model.dirty", timeout=30_000)
    time.sleep(1)
    if chapter.read_bytes() != committed:
        import difflib

        diff = difflib.unified_diff(
            committed.decode().splitlines(True), chapter.read_text(encoding="utf-8").splitlines(True), n=0
        )
        pytest.fail(f"saving {chapter.name} changed it:\n" + "".join(list(diff)[:40]))


def test_chapter_opens_as_a_notebook_runs_and_reads_like_the_site(page, lab) -> None:
    chapter, committed, solutions = _open_and_run_all(page, lab, CHAPTER)

    # A solution opens when asked for.
    page.get_by_text(re.compile(r"^Solution to")).first.click()
    page.wait_for_function(f"(s) => ({TEXT})().includes(s)", arg=solutions[0], timeout=10_000)

    # The explorer: moving its slider redraws the figure.
    output = page.locator(".jp-OutputArea-output").filter(has=page.locator(".noUi-handle")).first
    image = output.locator("img").first
    handle = output.locator(".noUi-handle").first
    handle.scroll_into_view_if_needed()
    before = image.get_attribute("src")
    at_end = float(handle.get_attribute("aria-valuenow")) >= float(handle.get_attribute("aria-valuemax"))
    start = time.perf_counter()
    handle.focus()
    page.keyboard.press("ArrowLeft" if at_end else "ArrowRight")
    page.wait_for_function(
        "([img, before]) => img.getAttribute('src') !== before", arg=[image.element_handle(), before]
    )
    TIMINGS["chapter 2 slider redraw (s)"] = round(time.perf_counter() - start, 2)

    # Saving writes the chapter back byte for byte.
    _saving_changes_nothing(page, chapter, committed)
    assert not page.errors, f"JavaScript errors: {page.errors}"


def test_graded_notebook_checks_a_wrong_then_a_right_answer(page, lab) -> None:
    _open_by_double_click(page, "exercises", "student", "ch01.ipynb")
    assert page.evaluate(IS_NOTEBOOK)
    page.wait_for_function(KERNEL_IDLE, timeout=120_000)
    sources = page.evaluate(f"() => {CURRENT}.content.widgets.map(c => c.model.sharedModel.getSource())")
    setup = next(i for i, s in enumerate(sources) if "Checker(" in s)
    answer = next(i for i, s in enumerate(sources) if s.startswith("def sigmoid_derivative"))
    check = next(i for i, s in enumerate(sources) if s.strip() == 'check("q1")')
    start = time.perf_counter()
    _run_cell(page, setup)
    wrong = _run_cell(page, check) if _run_cell(page, answer, WRONG_Q1) == "" else pytest.fail("the answer printed")
    right = _run_cell(page, check) if _run_cell(page, answer, RIGHT_Q1) == "" else pytest.fail("the answer printed")
    TIMINGS["ch01 graded: setup + two answers and checks (s)"] = round(time.perf_counter() - start, 1)
    assert "0 of 2 public checks passed" in wrong and "Hint:" in wrong and "✔ q1" not in wrong, wrong
    assert "✔ q1" in right and "2 of 2 public checks passed" in right and "Hint:" not in right, right
