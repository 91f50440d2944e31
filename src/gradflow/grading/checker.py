"""The learner's ``check("q1")``: run one question's public tests and say what failed, with a hint.

The student notebook's first cell makes ``check = Checker("ch01")``. Public tests ship inside the package
(``gradflow.grading.public.ch01``, generated from the masters), so a check works wherever the notebook is and
whatever it is called. While the grader runs a notebook (``GRADFLOW_GRADING=1``) checks do nothing: the grader
uses the instructor's tests, never the notebook's.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gradflow.grading.checks import Outcome, Suite, run_test

GRADING_ENV = "GRADFLOW_GRADING"


def grading_mode() -> bool:
    """True inside the batch grader."""
    return os.environ.get(GRADING_ENV, "") == "1"


def public_suite(chapter: str) -> Suite:
    """The public tests of ``chapter`` (e.g. "ch01"), shipped with the package."""
    if not chapter.isidentifier():
        raise ValueError(f"chapter must look like 'ch01'; got {chapter!r}")
    try:
        module = importlib.import_module(f"gradflow.grading.public.{chapter}")
    except ModuleNotFoundError:
        raise ValueError(f"no public tests for chapter {chapter!r}; is gradflow up to date?") from None
    return module.suite


@dataclass(frozen=True)
class Report:
    """What one ``check`` found: shown as text in the notebook."""

    question: str
    title: str
    outcomes: tuple[Outcome, ...]
    note: str = ""

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes)

    def __str__(self) -> str:
        if self.note:
            return f"{self.question}: {self.note}"
        n_ok = sum(o.passed for o in self.outcomes)
        head = f"{self.question} ({self.title}): {n_ok} of {len(self.outcomes)} public checks passed."
        if self.passed:
            head = f"✔ {head} Hidden tests also run when your notebook is graded."
        lines = [head]
        for o in self.outcomes:
            lines.append(f"  {'✔' if o.passed else '✘'} {o.description}")
            if not o.passed:
                lines.append(f"      Hint: {o.message}")
                if o.detail:
                    lines.append(f"      Your code said: {o.detail}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


class Checker:
    """``check = Checker("ch01")``; then ``check("q1")`` tests question q1 against the notebook's variables."""

    def __init__(self, chapter: str) -> None:
        self.chapter = chapter
        self.suite = public_suite(chapter)

    def __call__(self, question: str, namespace: Mapping[str, Any] | None = None) -> Report:
        title = self.suite.questions.get(question)
        if title is None:
            raise ValueError(f"unknown question {question!r}; this notebook has {sorted(self.suite.questions)}")
        if grading_mode():
            return Report(question, title, (), note="checks are skipped while grading.")
        ns = sys._getframe(1).f_globals if namespace is None else namespace
        return Report(question, title, tuple(run_test(t, ns) for t in self.suite.of(question, hidden=False)))

    def all(self, namespace: Mapping[str, Any] | None = None) -> list[Report]:
        """Check every question."""
        ns = sys._getframe(1).f_globals if namespace is None else namespace
        return [self(q, ns) for q in self.suite.questions]
