"""The process that grades one submission: it runs the notebook's cells, then the instructor's tests.

Started by :mod:`gradflow.grading.runner` from a fork server with JAX already imported. It puts itself in a
new session (so the runner can kill it and everything it started with one ``killpg``), lowers its own limits
(address space, CPU time, file size, no core dumps), works in a temporary copy of the submission, loads the tests
*before* any learner code runs, and reports each step ("cell:3", "test:q1_shape") to the runner before it
starts it, so a step that hangs or crashes the process can be named and skipped on the next attempt.
Cells and tests also get a soft CPU-time limit (SIGPROF) that ends ordinary infinite loops without a restart.
"""

from __future__ import annotations

import importlib.util
import math
import os
import resource
import signal
import sys
import types
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gradflow.grading.checks import Outcome, Suite, TimeLimit, run_test

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Per-submission limits, per attempt.

    ``cell_s``/``test_s``: soft limits in CPU seconds (an exception in the cell or test); ``cpu_s``: hard limit in CPU
    seconds (the kernel kills the process); ``wall_s``: hard limit in seconds of wall time (the runner kills the
    process group). CPU time does not grow when other jobs slow the machine down, so busy machines give no time-outs.
    """

    wall_s: float = 300.0
    cpu_s: float = 120.0
    cell_s: float = 30.0
    test_s: float = 20.0
    memory_mb: int = 4096
    file_mb: int = 64
    attempts: int = 3


def load_suite(tests_file: Path, name: str = "_gradflow_instructor_tests") -> Suite:
    """Execute an instructor tests file as a private module (not in ``sys.modules``) and return its ``suite``."""
    spec = importlib.util.spec_from_file_location(name, tests_file)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load tests from {tests_file}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    suite = getattr(module, "suite", None)
    if not isinstance(suite, Suite):
        raise TypeError(f"{tests_file} must define `suite = Suite(...)`")
    return suite


def _alarm(_signum: int, _frame: types.FrameType | None) -> None:
    raise TimeLimit("ran past its time limit")


def _isolate(work: Path, scratch: Path, limits: Limits, cache_dir: str | None) -> None:
    os.setsid()
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * MiB, limits.memory_mb * MiB))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * MiB, limits.file_mb * MiB))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cpu = math.ceil(limits.cpu_s)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    log = os.open(scratch / "output.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ.update(
        GRADFLOW_GRADING="1",
        MPLBACKEND="Agg",
        HOME=str(work),
        IPYTHONDIR=str(scratch / "ipython"),
        XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    )
    os.chdir(work)
    sys.path.insert(0, str(work))
    signal.signal(signal.SIGPROF, _alarm)
    if cache_dir:
        import jax

        jax.config.update("jax_compilation_cache_dir", cache_dir)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    if isinstance(exc, TimeLimit):
        return "ran past its time limit and was stopped"
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return f"raised {type(exc).__name__}" + (f": {text}" if text else "")


def main(
    conn: Any,
    cells: list[str],
    tests_file: str,
    work: str,
    scratch: str,
    limits: Limits,
    skip: list[str],
    cache_dir: str | None,
) -> None:
    """Run ``cells`` then every test of ``tests_file``; send ("step", id) before each and ("done", result) at the end."""
    _isolate(Path(work), Path(scratch), limits, cache_dir)
    send = conn.send
    suite = load_suite(Path(tests_file))
    tests = list(suite.tests)
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    problems = []
    for i, source in enumerate(cells, start=1):
        step = f"cell:{i}"
        if step in skip or not source.strip():
            continue
        send(("step", step))
        signal.setitimer(signal.ITIMER_PROF, limits.cell_s)
        try:
            result = shell.run_cell(source, store_history=False, silent=True)
        except TimeLimit as exc:
            result, error = None, exc
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        if result is not None:
            error = result.error_before_exec or result.error_in_exec
        if error is not None:
            problems.append({"step": step, "message": _describe(error)})
    namespace = dict(shell.user_ns)
    outcomes = []
    for test in tests:
        step = f"test:{test.name}"
        if step in skip:
            continue
        send(("step", step))
        signal.setitimer(signal.ITIMER_PROF, limits.test_s)
        try:
            outcome = run_test(test, namespace)
        except TimeLimit:
            outcome = None
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        if outcome is None:
            message = f"Your code ran past the {limits.test_s:g} s (CPU) time limit of this test: look for a loop that never ends."
            outcome = Outcome(test.name, test.question, test.description, test.points, 0.0, test.hidden, message)
        outcomes.append(asdict(outcome))
    send(("done", {"problems": problems, "outcomes": outcomes}))
    conn.close()
    sys.stdout.flush()
    os._exit(0)
