"""Batch grading: every submission in its own process, in parallel, with limits, resumable.

:func:`grade_folder` grades each ``*.ipynb`` under a folder (in a temporary copy, never in place) with
:func:`grade_file`, writes ``OUT/results/<name>.json`` atomically as each one finishes, skips submissions whose
stored result matches the file's and the tests' hashes (so an interrupted batch picks up where it stopped), and
then writes ``OUT/scores.csv``, ``OUT/scores.json`` and ``OUT/feedback/<name>.md``.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from gradflow.grading import results, worker
from gradflow.grading.checks import Suite
from gradflow.grading.notebooks import NotANotebook, code_sources, code_sources_of_file
from gradflow.grading.worker import Limits

_CONTEXT: Any = None


def context() -> Any:
    """The fork-server multiprocessing context, its server preloaded with JAX and gradflow (started once)."""
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(["gradflow.grading._preload"])
    return _CONTEXT


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _kill_group(pid: int | None) -> None:
    if pid is None:
        return
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill()


def _attempt(
    cells: list[str],
    tests_file: Path,
    work: Path,
    scratch: Path,
    limits: Limits,
    skip: list[str],
    cache_dir: str | None,
) -> tuple[dict | None, str | None, str]:
    """One run of the worker: (payload or None, the step it was in, why it stopped)."""
    ctx = context()
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=worker.main, args=(sender, cells, str(tests_file), str(work), str(scratch), limits, skip, cache_dir)
    )
    proc.start()
    sender.close()
    deadline = time.monotonic() + limits.wall_s
    step, payload, why = None, None, ""
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                why = f"ran past the time limit of {limits.wall_s:g} s; its process (and everything it started) was killed"
                break
            if receiver.poll(min(remaining, 0.5)):
                try:
                    kind, value = receiver.recv()
                except (EOFError, OSError, ValueError, TypeError):
                    why = "crashed the grading process"
                    break
                if kind == "step":
                    step = str(value)
                elif kind == "done":
                    payload = value
                    break
    finally:
        _kill_group(proc.pid)
        proc.join(5)
        receiver.close()
    if payload is None and why.startswith("crashed"):
        code = proc.exitcode
        name = signal.Signals(-code).name if code is not None and code < 0 else ""
        if name == "SIGXCPU":
            why = f"used more than {limits.cpu_s:g} s of CPU time; its process (and everything it started) was killed"
        elif name:
            why += (
                f" ({name}" + (": out of memory?" if name in ("SIGABRT", "SIGSEGV", "SIGKILL", "SIGBUS") else "") + ")"
            )
        elif code is not None:
            why += f" (it exited with status {code})"
    return payload, step, why


def grade_source(
    cells: list[str],
    suite: Suite,
    tests_file: Path,
    copy_from: Path | None,
    limits: Limits,
    cache_dir: str | None = None,
) -> tuple[list[dict], list[dict], str]:
    """Run ``cells`` and the tests with up to ``limits.attempts`` attempts: (outcomes, problems, status)."""
    scratch = Path(tempfile.mkdtemp(prefix="gradflow-grade-"))
    work = scratch / "work"
    work.mkdir()
    if copy_from is not None:
        shutil.copy2(copy_from, work / copy_from.name)
    skip: list[str] = []
    problems: list[dict] = []
    try:
        for _ in range(max(1, limits.attempts)):
            payload, step, why = _attempt(cells, tests_file, work, scratch, limits, skip, cache_dir)
            if payload is not None:
                return (
                    payload["outcomes"],
                    problems + payload["problems"],
                    "graded" if not problems else "graded (steps skipped)",
                )
            if step is None or step in skip:
                log = (
                    (scratch / "output.log").read_text(errors="replace")[-1500:]
                    if (scratch / "output.log").exists()
                    else ""
                )
                detail = f" Last output:\n{log}" if step is None and log else ""
                problems.append({"step": "", "message": f"The grader could not run this notebook: it {why}.{detail}"})
                break
            skip.append(step)
            problems.append(
                {"step": step, "message": f"{why}, so it was skipped and the notebook run again without it"}
            )
        else:
            problems.append({"step": "", "message": "The notebook was given up on after repeated failures."})
        return [], problems, "failed"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def key_of(path: Path, root: Path) -> str:
    """A file-system-safe name for a submission, from its path under the submissions folder."""
    rel = path.relative_to(root).with_suffix("").as_posix()
    return re.sub(r"[^A-Za-z0-9._-]+", "_", rel.replace("/", "__")) or "submission"


def grade_file(
    path: Path, root: Path, suite: Suite, tests_file: Path, limits: Limits, cache_dir: str | None = None
) -> results.Result:
    """Grade one submitted notebook (or a MyST master) and return its result."""
    data = path.read_bytes()
    info = {
        "submission": key_of(path, root),
        "path": path.relative_to(root).as_posix(),
        "sha256": sha256(data),
        "tests_sha256": sha256(tests_file.read_bytes()),
    }
    try:
        cells = code_sources_of_file(path) if path.suffix == ".md" else code_sources(data)
    except NotANotebook as exc:
        msg = f"Not graded: {exc} Re-download the notebook from Jupyter (File > Download) and submit the .ipynb file."
        return results.build(
            suite,
            [],
            [{"step": "", "message": msg}],
            status="unreadable",
            missing_reason="Not graded: the file is not a readable notebook.",
            **info,
        )
    outcomes, problems, status = grade_source(cells, suite, tests_file, path, limits, cache_dir)
    return results.build(
        suite,
        outcomes,
        problems,
        status=status,
        missing_reason="Not run: the grader could not finish running your notebook.",
        **info,
    )


def submissions_in(folder: Path) -> list[Path]:
    """Every ``*.ipynb`` under ``folder`` (checkpoints excluded), sorted."""
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and p.is_file())


def grade_folder(
    folder: Path,
    tests_file: Path,
    out: Path,
    limits: Limits | None = None,
    jobs: int = 2,
    progress: bool = True,
    on_result: Callable[[results.Result], None] | None = None,
) -> list[results.Result]:
    """Grade every submission under ``folder`` into ``out``; return all results (stored ones included)."""
    limits = limits or Limits()
    folder, tests_file, out = folder.resolve(), tests_file.resolve(), out.resolve()
    suite = worker.load_suite(tests_file)
    tests_hash = sha256(tests_file.read_bytes())
    (out / "results").mkdir(parents=True, exist_ok=True)
    cache_dir = str((out / ".jax-cache").resolve())
    done: dict[str, results.Result] = {}
    todo = []
    for path in submissions_in(folder):
        key = key_of(path, folder)
        stored = results.load(out / "results" / f"{key}.json")
        if stored and stored.get("sha256") == sha256(path.read_bytes()) and stored.get("tests_sha256") == tests_hash:
            done[key] = stored
        else:
            todo.append(path)
    from tqdm.auto import tqdm

    bar = tqdm(total=len(todo), desc=f"grading {suite.chapter}", unit="nb", disable=not progress)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(grade_file, p, folder, suite, tests_file, limits, cache_dir): p for p in todo}
        for future in as_completed(futures):
            result = future.result()
            results.write_atomic(out / "results" / f"{result['submission']}.json", results.json_text(result))
            done[result["submission"]] = result
            if on_result:
                on_result(result)
            bar.update()
    bar.close()
    write_reports(suite, list(done.values()), out)
    return sorted(done.values(), key=lambda r: r["submission"])


def write_reports(suite: Suite, all_results: list[results.Result], out: Path) -> None:
    """The score tables and one feedback file per submission."""
    csv_text, json_text = results.tables(suite, all_results)
    results.write_atomic(out / "scores.csv", csv_text)
    results.write_atomic(out / "scores.json", json_text)
    for r in all_results:
        results.write_atomic(out / "feedback" / f"{r['submission']}.md", results.feedback(r))
