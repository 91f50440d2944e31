"""Judging a submission in the grader's process, which never runs learner code.

A test reads the learner's work through a :class:`Learner` namespace: ``answer(ns, "x")`` asks the worker for the
value of ``x``, ``function(ns, "f")(inputs)`` asks it to call ``f`` on ``inputs``. Both are *probes*, sent to the worker
as :mod:`~gradflow.grading.wire` data (a name and the inputs, never a reference value or a test's code); the answers
come back as data. :func:`judge` runs every test in rounds: a test that needs an answer not known yet stops with
:class:`NeedAnswer`, the round's probes go to the worker in one batch, and the tests run again with more answers,
until every test has finished (tests are deterministic, so a test run again makes the same probes).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from gradflow.grading import source, wire
from gradflow.grading.checks import MISSING, LearnerError, Outcome, RemoteNamespace, Suite, run_test

Probe = dict[str, Any]
Answer = dict[str, Any]
MAX_ROUNDS = 50


class NeedAnswer(BaseException):
    """A test needs the answer to ``probe`` before it can go on (a BaseException: a test's ``except`` won't catch it)."""

    def __init__(self, probe: Probe) -> None:
        super().__init__(probe.get("name"))
        self.probe = probe


class RemoteFunction:
    """A learner's function, called in the worker: each call is a probe with the inputs as data."""

    def __init__(self, learner: Learner, name: str) -> None:
        self._learner = learner
        self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        probe = {
            "op": "call",
            "name": self.__name__,
            "args": [wire.encode(a) for a in args],
            "kwargs": {k: wire.encode(v) for k, v in kwargs.items()},
        }
        return self._learner.ask(probe)

    def __repr__(self) -> str:
        return f"<learner function {self.__name__}>"


class Learner(RemoteNamespace):
    """The namespace that tests read in the grader: the learner's answers as data, and the notebook's source."""

    def __init__(self, sources: list[str], answers: dict[str, Answer]) -> None:
        self.sources = sources
        self._answers = answers

    def ask(self, probe: Probe) -> Any:
        """The decoded answer to ``probe``; raises :class:`NeedAnswer` if the worker has not answered it yet."""
        found = self._answers.get(probe_key(probe))
        if found is None:
            raise NeedAnswer(probe)
        if "error" in found:
            raise LearnerError(found["error"]["type"], found["error"]["message"])
        return wire.decode(found["ok"])

    def value(self, name: str) -> Any:
        """The value of ``name`` (:data:`MISSING` if undefined; a :class:`RemoteFunction` if callable)."""
        got = self.ask({"op": "get", "name": name})
        if isinstance(got, wire.Opaque) and got.type_name == "function":
            return RemoteFunction(self, name)
        if isinstance(got, wire.Opaque) and got.type_name == "missing":
            return MISSING
        return got

    def definition_names(self, name: str) -> set[str] | None:
        """Names the notebook's definition of ``name`` refers to (see :func:`gradflow.grading.source.names_in`)."""
        return source.names_in(self.sources, name)


def probe_key(probe: Probe) -> str:
    """A canonical text for ``probe``: equal probes, equal keys."""
    return json.dumps(probe, sort_keys=True, separators=(",", ":"))


def judge(
    suite: Suite,
    sources: list[str],
    ask: Callable[[dict[str, Probe]], dict[str, Answer]],
    max_rounds: int = MAX_ROUNDS,
) -> list[Outcome]:
    """Every test's outcome, asking the worker for answers through ``ask`` ({probe id: probe} -> {id: answer})."""
    answers: dict[str, Answer] = {}
    done: dict[str, Outcome] = {}
    for _ in range(max_rounds):
        pending: dict[str, Probe] = {}
        for test in suite.tests:
            if test.name in done:
                continue
            try:
                done[test.name] = run_test(test, Learner(sources, answers))
            except NeedAnswer as need:
                pending.setdefault(probe_key(need.probe), need.probe)
        if not pending:
            break
        ids = {f"p{len(answers) + i}": key for i, key in enumerate(pending)}
        got = ask({pid: pending[key] for pid, key in ids.items()})
        answers.update({key: got[pid] for pid, key in ids.items()})
    return [done.get(t.name) or _unfinished(t) for t in suite.tests]


def _unfinished(test: Any) -> Outcome:
    message = "This test asked your code for more answers than the grader allows; it scores 0."
    return Outcome(test.name, test.question, test.description, test.points, 0.0, test.hidden, message)
