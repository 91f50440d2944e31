"""One submission's worker, seen from the grader: started, fed, read with deadlines, restarted, killed.

Every read and write on the worker's pipes waits with ``select`` against the attempt's deadline (``Limits.wall_s``
of waiting in all), so a worker that stops halfway through a message, floods, or never reads cannot block the grader.
Everything read is checked (:mod:`~gradflow.grading.wire`); a worker that sends anything else is treated like one
that crashed. When a cell or a probe hangs or kills the worker, it is named, the worker killed (with everything it
started), and a new one started that skips that step, up to ``Limits.attempts`` workers in all.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gradflow.grading import sandbox, wire
from gradflow.grading.limits import Limits

STEP = re.compile(r"(cell:[0-9]{1,6}|probe:p[0-9]{1,6})")
ERROR_TYPE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,59}")
CHUNK = 1 << 20
MAX_TOTAL = 4 * wire.MAX_LINE
LOG_TAIL = 1500


class Stopped(Exception):
    """The worker stopped answering: ``why`` says how, ``step`` is what it was doing ("" before any step)."""

    def __init__(self, why: str, step: str) -> None:
        super().__init__(why)
        self.why = why
        self.step = step


class Worker:
    """A running worker process and its two pipes."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path, limits: Limits) -> None:
        self.limits = limits
        self.left = limits.wall_s
        self.step = ""
        self.buffer = bytearray()
        self.received = 0
        with open(log, "ab") as log_file:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log_file,
                env=env,
                start_new_session=True,
                close_fds=True,
            )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        os.set_blocking(self.stdin, False)
        os.set_blocking(self.stdout, False)

    def _wait(self, readable: bool) -> None:
        start = time.monotonic()
        fds = ([self.stdout], [], []) if readable else ([], [self.stdin], [])
        ready = select.select(*fds, max(0.0, self.left))
        self.left -= time.monotonic() - start
        if not any(ready) or self.left <= 0:
            raise Stopped(
                f"ran past the time limit of {self.limits.wall_s:g} s; its process (and everything it started) was killed",
                self.step,
            )

    def send(self, message: dict[str, Any]) -> None:
        """Write one message, never waiting past the deadline."""
        data = wire.message_line(message)
        while data:
            self._wait(readable=False)
            try:
                data = data[os.write(self.stdin, data) :]
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError):
                raise Stopped(self._crash(), self.step) from None

    def receive(self, kinds: frozenset[str]) -> dict[str, Any]:
        """The next message other than a step (steps are recorded), never waiting past the deadline."""
        while True:
            end = self.buffer.find(b"\n")
            while end < 0:
                if len(self.buffer) > wire.MAX_LINE:
                    raise Stopped("sent the grader more data than it accepts", self.step)
                self._wait(readable=True)
                try:
                    chunk = os.read(self.stdout, CHUNK)
                except BlockingIOError:
                    continue
                if not chunk:
                    raise Stopped(self._crash(), self.step)
                self.received += len(chunk)
                if self.received > MAX_TOTAL:
                    raise Stopped("sent the grader more data than it accepts", self.step)
                found = chunk.find(b"\n")
                end = -1 if found < 0 else len(self.buffer) + found
                self.buffer += chunk
            line = bytes(self.buffer[:end])
            del self.buffer[: end + 1]
            try:
                message = wire.parse_message(line, kinds | {"step"})
            except wire.WireError as exc:
                raise Stopped(f"sent the grader data it cannot read ({exc})", self.step) from None
            if message["kind"] != "step":
                return message
            step = message.get("step")
            if not isinstance(step, str) or not STEP.fullmatch(step):
                raise Stopped("sent the grader a step it cannot read", self.step)
            self.step = step

    def _crash(self) -> str:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "stopped talking to the grader"
        if code == -9 or code == 128 + 9:
            return "was killed (out of memory, or more CPU time than allowed?)"
        if code in (-24, 128 + 24):
            return f"used more than {self.limits.cpu_s:g} s of CPU time; its process was killed"
        if code < 0:
            return f"crashed the grading process (signal {-code})"
        return f"crashed the grading process (it exited with status {code})"

    def close(self) -> float:
        """Kill the worker and everything it started; reap it; return the CPU seconds they used."""
        cpu = sandbox.tree_cpu_seconds(self.proc.pid)
        sandbox.kill(self.proc.pid)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        return cpu


def _valid_problems(problems: Any, n_cells: int) -> list[dict[str, str]]:
    if not isinstance(problems, list) or len(problems) > n_cells:
        raise wire.WireError("problems must be a list with at most one entry per cell")
    for p in problems:
        if not _named_message(p, "step", STEP):
            raise wire.WireError("a problem must be {step, message} with short text")
    return problems


def _named_message(record: Any, key: str, pattern: re.Pattern) -> bool:
    """Whether ``record`` is exactly {key: a string matching ``pattern``, "message": a string of at most 1000}."""
    return (
        isinstance(record, dict)
        and set(record) == {key, "message"}
        and isinstance(record[key], str)
        and pattern.fullmatch(record[key]) is not None
        and isinstance(record["message"], str)
        and len(record["message"]) <= 1000
    )


def _valid_answer(answer: Any) -> dict[str, Any]:
    if isinstance(answer, dict) and set(answer) == {"ok"} and isinstance(answer["ok"], dict):
        return answer
    if isinstance(answer, dict) and set(answer) == {"error"} and _named_message(answer["error"], "type", ERROR_TYPE):
        return answer
    raise wire.WireError("an answer must be {ok: value} or {error: {type, message}}")


class Session:
    """A submission's workers: :meth:`start` runs the notebook, :meth:`ask` answers probes; :meth:`close` at the end."""

    def __init__(
        self,
        cells: list[str],
        limits: Limits,
        launch: Callable[[], tuple[list[str], dict[str, str], str, dict]],
        log: Path,
    ) -> None:
        self.cells = cells
        self.limits = limits
        self.launch = launch
        self.log = log
        self.skip: list[str] = []
        self.problems: list[dict[str, str]] = []
        self.cell_problems: list[dict[str, str]] = []
        self.starts = 0
        self.cpu_s = 0.0
        self.failed = False
        self.worker: Worker | None = None

    def start(self) -> bool:
        """Start a worker and run the notebook (skipping the steps that killed earlier ones); False if it cannot."""
        while not self.failed and self.worker is None:
            if self.starts >= self.limits.attempts:
                self._give_up("The notebook was given up on after repeated failures.")
                break
            self.starts += 1
            argv, env, work, cache = self.launch()
            worker = Worker(argv, env, self.log, self.limits)
            setup = {
                "kind": "setup",
                "cells": self.cells,
                "skip": self.skip,
                "limits": self.limits.for_worker(),
                "work": work,
                "cache": cache,
            }
            try:
                worker.send(setup)
                ready = worker.receive(frozenset({"ready"}))
                self.cell_problems = _valid_problems(ready.get("problems"), len(self.cells))
                self.worker = worker
            except (Stopped, wire.WireError) as exc:
                self.cpu_s += worker.close()
                why, step = (exc.why, exc.step) if isinstance(exc, Stopped) else (str(exc), worker.step)
                self._stopped(why, step)
        return self.worker is not None

    def _stopped(self, why: str, step: str) -> None:
        if step.startswith("cell:") and step not in self.skip:
            self.skip.append(step)
            self.problems.append(
                {"step": step, "message": f"{why}, so it was skipped and the notebook run again without it"}
            )
        elif not step:
            self._give_up(f"The grader could not run this notebook: it {why}.", with_log=True)

    def _give_up(self, message: str, with_log: bool = False) -> None:
        self.failed = True
        tail = self.log.read_bytes()[-LOG_TAIL:].decode("utf-8", "replace") if with_log and self.log.exists() else ""
        self.problems.append({"step": "", "message": message + (f" Last output: {tail}" if tail else "")})

    def ask(self, probes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """An answer for every probe: the worker's, or an error record when it could not give one."""
        answers: dict[str, dict[str, Any]] = {}
        todo = dict(probes)
        while todo and self.start():
            worker = self.worker
            assert worker is not None
            try:
                worker.send({"kind": "probes", "probes": todo})
                got = worker.receive(frozenset({"answers"})).get("answers")
                if not isinstance(got, dict) or set(got) != set(todo):
                    raise wire.WireError("the answers do not match the probes")
                answers.update({pid: _valid_answer(a) for pid, a in got.items()})
                todo = {}
            except (Stopped, wire.WireError) as exc:
                why, step = (exc.why, exc.step) if isinstance(exc, Stopped) else (str(exc), worker.step)
                self.cpu_s += worker.close()
                self.worker = None
                pid = step.partition(":")[2] if step.startswith("probe:") else ""
                if pid in todo:
                    answers[pid] = {"error": {"type": "Stopped", "message": f"your code {why}"}}
                    del todo[pid]
                else:
                    self._give_up(f"The grader could not finish: the notebook's process {why}.")
        for pid in todo:
            answers[pid] = {"error": {"type": "NotRun", "message": "the grader could not run your notebook"}}
        return answers

    def close(self) -> None:
        """Kill the worker, if one is running."""
        if self.worker is not None:
            self.cpu_s += self.worker.close()
            self.worker = None

    @property
    def all_problems(self) -> list[dict[str, str]]:
        """What went wrong while running the notebook: steps skipped, then the cells that raised."""
        return self.problems + self.cell_problems

    @property
    def status(self) -> str:
        """One of: graded, graded (steps skipped), failed."""
        if self.failed:
            return "failed"
        return "graded (steps skipped)" if self.problems else "graded"
