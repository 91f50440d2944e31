"""The process that runs one learner's notebook, then answers the grader's probes: ``python -m gradflow.grading.worker``.

It is the only process that runs learner code, and it knows nothing of the tests: no test code, no reference values.
The grader (:mod:`gradflow.grading.session`) writes one JSON line to its stdin, the setup (the cells, the steps to
skip, the limits, where the JAX cache goes). The worker lowers its own limits (address space, CPU time, file size, no
core dumps), keeps its stdout for the protocol and sends the learner's output to stderr (a log file), runs every cell
(each with a soft CPU-time limit), sends ``ready`` with the problems it met, and then answers batches of *probes*:
``get`` a name's value, or ``call`` a function on the grader's inputs. Answers are :mod:`~gradflow.grading.wire` data
only. Before each cell and probe it sends the step (``cell:3``, ``probe:p7``), so a step that hangs or kills the
process can be named and skipped. Whatever learner code does here can change only its own answers.
"""

from __future__ import annotations

import math
import os
import resource
import shutil
import signal
import sys
import types
from typing import Any

from gradflow.grading import wire

MiB = 1024 * 1024
MAX_ERROR_TEXT = 300


class TimeLimit(Exception):
    """Raised inside a cell or a probe that used more than its CPU-time allowance."""


def _alarm(_signum: int, _frame: types.FrameType | None) -> None:
    raise TimeLimit("ran past its time limit")


def _limit(kind: int, value: int) -> None:
    resource.setrlimit(kind, (value, value))


def _isolate(limits: dict[str, float]) -> tuple[int, Any]:
    """Lower this process's limits and move the protocol off fds 0 and 1; return (protocol out fd, requests file)."""
    _limit(resource.RLIMIT_AS, int(limits["memory_mb"]) * MiB)
    _limit(resource.RLIMIT_FSIZE, int(limits["file_mb"]) * MiB)
    _limit(resource.RLIMIT_CORE, 0)
    cpu = math.ceil(limits["cpu_s"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    out = os.dup(1)
    requests = os.fdopen(os.dup(0), "rb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)
    signal.signal(signal.SIGPROF, _alarm)
    return out, requests


def _send(fd: int, message: dict[str, Any]) -> None:
    data = wire.message_line(message)
    while data:
        data = data[os.write(fd, data) :]


def _text(exc: BaseException) -> str:
    try:
        text = str(exc).strip()
    except Exception:
        text = ""
    return text.splitlines()[0][:MAX_ERROR_TEXT] if text else ""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeLimit):
        return "ran past its time limit and was stopped"
    text = _text(exc)
    return f"raised {type(exc).__name__}" + (f": {text}" if text else "")


def _timed(seconds: float) -> None:
    signal.setitimer(signal.ITIMER_PROF, seconds)


def _configure_jax(cache: dict[str, str | None]) -> None:
    if not cache.get("dir"):
        return
    if cache.get("seed") and os.path.isdir(str(cache["seed"])):
        shutil.copytree(str(cache["seed"]), str(cache["dir"]), dirs_exist_ok=True)
    import jax

    jax.config.update("jax_compilation_cache_dir", cache["dir"])
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def run_cells(shell: Any, cells: list[str], skip: set[str], cell_s: float, out: int) -> list[dict[str, str]]:
    """Run every cell not in ``skip`` (even after one raises); return the problems as {step, message}."""
    problems = []
    for i, source in enumerate(cells, start=1):
        step = f"cell:{i}"
        if step in skip or not source.strip():
            continue
        _send(out, {"kind": "step", "step": step})
        error: BaseException | None = None
        _timed(cell_s)
        try:
            result = shell.run_cell(source, store_history=False, silent=True)
            error = result.error_before_exec or result.error_in_exec
        except TimeLimit as exc:
            error = exc
        finally:
            _timed(0)
        if error is not None:
            problems.append({"step": step, "message": _describe(error)})
    return problems


def answer(ns: dict[str, Any], probe: dict[str, Any]) -> dict[str, Any]:
    """The answer to one probe: {"ok": data} or {"error": {"type", "message"}}."""
    name = probe["name"]
    if name not in ns:
        return {"ok": {"t": "missing"}}
    value = ns[name]
    try:
        if probe["op"] == "call":
            args = [wire.decode(a, jax_arrays=True) for a in probe["args"]]
            kwargs = {k: wire.decode(v, jax_arrays=True) for k, v in probe["kwargs"].items()}
            value = value(*args, **kwargs)
        return {"ok": wire.encode(value)}
    except wire.WireError as exc:
        return {"error": {"type": "Unsendable", "message": f"the grader cannot read this value: {exc}"}}
    except TimeLimit:
        return {"error": {"type": "TimeLimit", "message": "ran past its time limit and was stopped"}}
    except Exception as exc:
        return {"error": {"type": type(exc).__name__, "message": _text(exc)}}


def serve(ns: dict[str, Any], requests: Any, out: int, probe_s: float) -> None:
    """Answer batches of probes until the grader closes the pipe or says ``end``."""
    while True:
        line = requests.readline(wire.MAX_LINE + 1)
        if not line:
            return
        message = wire.parse_message(line, frozenset({"probes", "end"}))
        if message["kind"] == "end":
            return
        answers = {}
        for pid, probe in message["probes"].items():
            _send(out, {"kind": "step", "step": f"probe:{pid}"})
            _timed(probe_s)
            try:
                answers[pid] = answer(ns, probe)
            except TimeLimit:
                answers[pid] = {"error": {"type": "TimeLimit", "message": "ran past its time limit and was stopped"}}
            finally:
                _timed(0)
        _send(out, {"kind": "answers", "answers": answers})


def main() -> None:
    """Read the setup from stdin, run the notebook, answer probes, exit."""
    setup = wire.parse_message(sys.stdin.buffer.readline(wire.MAX_LINE + 1), frozenset({"setup"}))
    limits = setup["limits"]
    out, requests = _isolate(limits)
    os.makedirs(setup["work"], exist_ok=True)
    os.chdir(setup["work"])
    sys.path.insert(0, setup["work"])
    _configure_jax(setup["cache"])
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    problems = run_cells(shell, setup["cells"], set(setup["skip"]), limits["cell_s"], out)
    _send(out, {"kind": "ready", "problems": problems})
    serve(shell.user_ns, requests, out, limits["test_s"])
    os._exit(0)


if __name__ == "__main__":
    main()
