"""Batch grading: every file of a submissions folder gets a row; each notebook runs in its own sandboxed worker.

:func:`grade_folder` grades every file under a folder with :func:`grade_file`: the notebook's cells run in a worker
(:mod:`~gradflow.grading.session`, inside the sandbox of :mod:`~gradflow.grading.sandbox`), and the tests run here,
in the grader, on the data the worker sends back (:mod:`~gradflow.grading.judge`). It writes
``OUT/results/<key>.json`` atomically as each submission finishes, skips submissions whose stored result matches the
file's and the tests' hashes (so an interrupted batch picks up where it stopped), and then writes ``OUT/scores.csv``,
``OUT/scores.json``, ``OUT/gradebook.csv`` and ``OUT/feedback/<key>.md``. Anything that goes wrong with one
submission becomes that submission's row, with a message; it never stops the batch.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gradflow.grading import judge, results, sandbox, submissions
from gradflow.grading.checks import Suite
from gradflow.grading.limits import Limits
from gradflow.grading.notebooks import NotANotebook, code_sources, code_sources_of_file
from gradflow.grading.session import Session
from gradflow.grading.suites import load_suite


def sha256(data: bytes) -> str:
    """The SHA-256 of ``data``, in hex."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Grader:
    """What grading one chapter needs: its tests, limits, sandbox, and the warm JAX cache to copy from."""

    suite: Suite
    tests_hash: str
    limits: Limits = field(default_factory=Limits)
    sandbox: sandbox.Sandbox = field(default_factory=sandbox.Sandbox)
    seed: Path | None = None


def grade_cells(
    grader: Grader, cells: list[str], keep_cache: Path | None = None
) -> tuple[list[dict], list[dict], str, float]:
    """Run ``cells`` in a worker and judge them: (outcomes, problems, status, CPU seconds of the workers)."""
    scratch = Path(tempfile.mkdtemp(prefix="gradflow-grade-"))
    try:

        def launch() -> tuple[list[str], dict[str, str], str, dict]:
            return sandbox.command(grader.sandbox, scratch, grader.seed, keep_cache)

        session = Session(cells, grader.limits, launch, scratch / "output.log")
        try:  # a worker that stops for good while answering keeps the points earned before
            outcomes = judge.judge(grader.suite, cells, session.ask) if session.start() else []
        finally:
            session.close()
        return [asdict(o) for o in outcomes], session.all_problems, session.status, session.cpu_s
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _unreadable(grader: Grader, info: dict, status: str, message: str) -> results.Result:
    return results.build(
        grader.suite,
        [],
        [{"step": "", "message": message}],
        status=status,
        missing_reason="Not graded: the file is not a notebook the grader can read.",
        **info,
    )


def grade_file(grader: Grader, path: Path, root: Path, id_pattern: re.Pattern[str] | None = None) -> results.Result:
    """Grade one file of the submissions folder; whatever happens, return its result (never raise)."""
    info = {
        "submission": submissions.key_of(path, root),
        "path": submissions.shown(path, root),
        "student": submissions.student_id(path, root, id_pattern),
        "sha256": "",
        "tests_sha256": grader.tests_hash,
    }
    try:
        if path.stat().st_size > submissions.MAX_BYTES:
            return _unreadable(grader, info, "unreadable", "Not graded: the file is larger than a notebook can be.")
        data = path.read_bytes()
        info["sha256"] = sha256(data)
        try:
            cells = code_sources(data)
        except NotANotebook as exc:
            why = str(exc) if path.suffix == ".ipynb" else "this file is not a Jupyter notebook (.ipynb)."
            msg = f"Not graded: {why} In Jupyter, use File > Download and hand in the .ipynb file."
            return _unreadable(grader, info, "unreadable", msg)
        outcomes, problems, status, cpu_s = grade_cells(grader, cells)
        missing = "Not run: the grader could not finish running your notebook."
        info["worker_cpu_s"] = round(cpu_s, 2)
        return results.build(grader.suite, outcomes, problems, status=status, missing_reason=missing, **info)
    except Exception as exc:  # a grader bug or a file system error: this submission's row, never the batch
        message = f"The grader failed on this submission ({type(exc).__name__}); tell your instructor."
        return _unreadable(grader, info, "error", message)


def warm_cache(grader: Grader, master: Path, cache: Path) -> Path | None:
    """Fill ``cache`` with JAX's compiled programs by running the (trusted) master notebook; None if that failed."""
    cache.mkdir(parents=True, exist_ok=True)
    try:
        grade_cells(grader, code_sources_of_file(master), keep_cache=cache)
    except (OSError, ValueError):
        return None
    return cache if any(cache.iterdir()) else None


def _stored(result: Path, path: Path, tests_hash: str) -> results.Result | None:
    """The stored result of ``path`` if it is still valid (same file, same tests), else None."""
    stored = results.load(result)
    try:
        same = stored is not None and path.stat().st_size <= submissions.MAX_BYTES
        same = same and stored.get("sha256") == sha256(path.read_bytes()) and stored.get("tests_sha256") == tests_hash
    except OSError:
        return None
    return stored if same else None


def grade_folder(
    folder: Path,
    tests_file: Path,
    out: Path,
    limits: Limits | None = None,
    jobs: int = 2,
    progress: bool = True,
    on_result: Callable[[results.Result], None] | None = None,
    sandbox_kind: str = "bwrap",
    id_pattern: re.Pattern[str] | None = None,
    warm: bool = True,
) -> list[results.Result]:
    """Grade every file under ``folder`` into ``out``; return all results (stored ones included)."""
    limits = limits or Limits()
    folder, tests_file, out = folder.resolve(), tests_file.resolve(), out.resolve()
    suite = load_suite(tests_file)
    box = sandbox.Sandbox(sandbox_kind, sandbox.hidden_folders(tests_file.parent, folder, out), limits.tmp_mb)
    if box.kind == "bwrap":
        sandbox.check_bwrap()
    grader = Grader(suite, sha256(tests_file.read_bytes()), limits, box)
    (out / "results").mkdir(parents=True, exist_ok=True)
    done: dict[str, results.Result] = {}
    todo = []
    for path in submissions.files_in(folder, exclude=out):
        key = submissions.key_of(path, folder)
        stored = _stored(out / "results" / f"{key}.json", path, grader.tests_hash)
        if stored:
            done[key] = {**stored, "student": submissions.student_id(path, folder, id_pattern)}
        else:
            todo.append(path)
    master = tests_file.parent / f"{suite.chapter}.md"
    if todo and warm and master.is_file():
        seed = warm_cache(grader, master, Path(tempfile.mkdtemp(prefix="gradflow-seed-")) / "jax-cache")
        grader = Grader(suite, grader.tests_hash, limits, box, seed)
    from tqdm.auto import tqdm

    bar = tqdm(total=len(todo), desc=f"grading {suite.chapter}", unit="file", disable=not progress)
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(grade_file, grader, p, folder, id_pattern) for p in todo]
            for future in as_completed(futures):
                result = future.result()
                results.write_atomic(out / "results" / f"{result['submission']}.json", results.json_text(result))
                done[result["submission"]] = result
                if on_result:
                    on_result(result)
                bar.update()
    finally:
        bar.close()
        if grader.seed is not None:
            shutil.rmtree(grader.seed.parent, ignore_errors=True)
    write_reports(suite, list(done.values()), out)
    return sorted(done.values(), key=lambda r: r["submission"])


def write_reports(suite: Suite, all_results: list[results.Result], out: Path) -> None:
    """The score tables, the gradebook and one feedback file per submission."""
    csv_text, json_text = results.tables(suite, all_results)
    results.write_atomic(out / "scores.csv", csv_text)
    results.write_atomic(out / "scores.json", json_text)
    results.write_atomic(out / "gradebook.csv", results.gradebook(suite, all_results))
    for r in all_results:
        results.write_atomic(out / "feedback" / f"{r['submission']}.md", results.feedback(r))
