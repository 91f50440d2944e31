"""Tests of graded exercises, their hints, and how one test is run against a learner's work.

A chapter's tests live in one Python file (``exercises/masters/ch01_tests.py``) that builds a :class:`Suite`
and registers test functions with ``@suite.test(question, points, hidden=...)``. A test receives the learner's
namespace ``ns`` and does three things: it makes **inputs**, gets the learner's result on them
(``function(ns, "f")(x)``, or ``answer(ns, "name")`` for a value), and **compares** it with a **reference** it
computes itself, raising :class:`Failed` with a hint that teaches the likely mistake, never the answer
(``expect(condition, hint)``). The docstring's first line says what the test checks.

The same test runs in two places. In the learner's notebook (``check("q1")``, public tests only) ``ns`` is the
notebook's variables. In the grader ``ns`` is a :class:`gradflow.grading.judge.Learner`: ``answer`` and ``function``
then ask the learner's worker process for data (the name and the inputs go there; the reference and the test's code
never do), and :func:`uses_none_of` reads the notebook's cells with ``ast``. Helpers (:func:`answer`,
:func:`function`, :func:`number`, :func:`array`, :func:`expect`) turn the usual slips (a name not defined, ``...``
left in place, ``None`` returned, NaN, wrong shape) into hints.
"""

from __future__ import annotations

import math
import types
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradflow.grading.source import DYNAMIC
from gradflow.grading.wire import Opaque

Namespace = Mapping[str, Any]
MAX_MESSAGE = 600
MAX_DETAIL = 300


class Failed(AssertionError):
    """A check failed; the message is the hint shown to the learner."""


class LearnerError(Exception):
    """The learner's code raised (in the worker) while answering; ``detail`` is its message, the learner's text."""

    def __init__(self, type_name: str, detail: str) -> None:
        super().__init__(type_name)
        self.type_name = type_name
        self.detail = detail


class RemoteNamespace(ABC):
    """A learner's work seen from the grader (:class:`gradflow.grading.judge.Learner`): data, and the source."""

    @abstractmethod
    def value(self, name: str) -> Any:
        """The value of ``name``: data, a callable stand-in for a function, or :data:`MISSING`."""

    @abstractmethod
    def definition_names(self, name: str) -> set[str] | None:
        """Names the notebook's definition of ``name`` refers to; None if the notebook does not define it."""


MISSING: Any = object()
GRADER_ERRORS = {
    "TimeLimit": "Your code ran past this test's time limit: look for a loop that never ends.",
    "Stopped": "Your code stopped the grading process (a crash, or more time or memory than allowed) in this test.",
    "NotRun": "Not run: the grader could not finish running your notebook.",
    "Unsendable": "Your code gave something the grader cannot read: too large, or not numbers, arrays, text, lists "
    "or dicts.",
}


@dataclass(frozen=True)
class Test:
    """One test of one question, worth ``points``; ``hidden`` tests are run only by the grader."""

    question: str
    name: str
    description: str
    points: float
    hidden: bool
    func: Callable[[Namespace], None]


@dataclass(frozen=True)
class Outcome:
    """The result of one test: points earned and, when it failed, the hint shown (``message``, written by the
    test's author) and ``detail``: text that came from the learner's code (an exception's message), shown escaped."""

    test: str
    question: str
    description: str
    points: float
    earned: float
    hidden: bool
    message: str = ""
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.earned >= self.points


class Suite:
    """The tests of one chapter's graded exercises, grouped by question (``questions``: id -> title)."""

    def __init__(self, chapter: str, questions: Mapping[str, str]) -> None:
        self.chapter = chapter
        self.questions = dict(questions)
        self.tests: list[Test] = []

    def test(self, question: str, points: float = 1.0, hidden: bool = False) -> Callable:
        """Decorator registering ``func(ns)`` as a test of ``question``."""
        if question not in self.questions:
            raise ValueError(f"unknown question {question!r}; expected one of {sorted(self.questions)}")
        if points <= 0:
            raise ValueError(f"points must be positive; got {points}")

        def register(func: Callable[[Namespace], None]) -> Callable[[Namespace], None]:
            if any(t.name == func.__name__ for t in self.tests):
                raise ValueError(f"duplicate test name {func.__name__!r}")
            doc = (func.__doc__ or func.__name__).strip().splitlines()[0]
            self.tests.append(Test(question, func.__name__, doc, float(points), hidden, func))
            return func

        return register

    def of(self, question: str, hidden: bool = True) -> list[Test]:
        """The tests of ``question`` (without the hidden ones unless ``hidden``)."""
        return [t for t in self.tests if t.question == question and (hidden or not t.hidden)]

    def max_points(self, question: str | None = None) -> float:
        """Points available for ``question`` (all questions if None), hidden tests included."""
        return sum(t.points for t in self.tests if question is None or t.question == question)


def run_test(test: Test, ns: Namespace | RemoteNamespace) -> Outcome:
    """Run ``test`` against ``ns``; a learner's exception becomes a message, never escapes.

    In the grader (``ns`` remote) an exception of the test's own code (comparing an answer of an unexpected type, say)
    gives a fixed message, so no reference value can reach the feedback through an exception's text.
    """
    detail = ""
    try:
        test.func(ns)
    except Failed as exc:
        message = str(exc)
    except LearnerError as exc:
        message = GRADER_ERRORS.get(exc.type_name, "")
        if not message:
            message = f"Calling your code raised {exc.type_name}. Try your code on a small input to find where."
            detail = exc.detail
    except Exception as exc:
        if isinstance(ns, RemoteNamespace):
            message = f"Your answer could not be checked ({type(exc).__name__}): compare its type and shape with the question's."
        else:
            message = f"Calling your code raised {type(exc).__name__}. Try your code on a small input to find where."
            detail = str(exc)
    else:
        return Outcome(test.name, test.question, test.description, test.points, test.points, test.hidden)
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    return Outcome(
        test.name, test.question, test.description, test.points, 0.0, test.hidden, message, detail[:MAX_DETAIL]
    )


# ---- helpers for writing tests ------------------------------------------------------------------


def expect(condition: object, hint: str) -> None:
    """Fail with ``hint`` unless ``condition`` is true."""
    if not bool(condition):
        raise Failed(hint)


def answer(ns: Namespace | RemoteNamespace, name: str) -> Any:
    """The value of ``name`` in the notebook, failing with a hint if it is missing or still ``...``."""
    value = ns.value(name) if isinstance(ns, RemoteNamespace) else ns.get(name, MISSING)
    if value is MISSING:
        raise Failed(
            f"`{name}` is not defined. Run the cell that sets it (and the cells above it), and check its spelling."
        )
    if value is Ellipsis:
        raise Failed(f"`{name}` is still `...`: replace the `...` with your answer and run the cell.")
    return value


def type_name(value: Any) -> str:
    """The name of ``value``'s type, as the learner's code made it (for hints)."""
    return value.type_name if isinstance(value, Opaque) else type(value).__name__


def function(ns: Namespace | RemoteNamespace, name: str) -> Callable:
    """The function ``name`` defined in the notebook."""
    value = answer(ns, name)
    if not callable(value):
        raise Failed(f"`{name}` should be a function (defined with `def {name}(...)`); it is a {type_name(value)}.")
    return value


def _not_none(value: Any, what: str) -> None:
    if value is None:
        raise Failed(f"{what} is None. Did you forget to `return` the result (or to replace the `...`)?")
    if value is Ellipsis:
        raise Failed(f"{what} is `...`: replace the `...` with your code.")


def number(value: Any, what: str) -> float:
    """``value`` as a finite float; else a hint (None, a string, an array of several values, NaN, inf)."""
    _not_none(value, what)
    if isinstance(value, (bool, np.bool_)):
        raise Failed(f"{what} should be a number; it is the boolean {value}.")
    if isinstance(value, (str, bytes)):
        raise Failed(f"{what} should be a number, not text: remove the quotes.")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise Failed(f"{what} should be a number; it is a {type_name(value)}.") from None
    if arr.size != 1:
        raise Failed(f"{what} should be a single number; it is an array of shape {arr.shape}.")
    x = float(arr.reshape(()))
    if math.isnan(x):
        raise Failed(f"{what} is NaN: some step divides 0 by 0, takes inf - inf, or uses a value that is NaN already.")
    if math.isinf(x):
        raise Failed(f"{what} is infinite: something overflows (e.g. exp of a large number) or divides by zero.")
    return x


def array(value: Any, what: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``value`` as a float array of ``shape`` with finite entries; else a hint."""
    _not_none(value, what)
    try:
        arr = np.asarray(value)
    except Exception:
        raise Failed(f"{what} should be an array; it is a {type_name(value)}.") from None
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise Failed(f"{what} should hold real numbers; its dtype is {arr.dtype}.")
    if shape is not None and arr.shape != tuple(shape):
        raise Failed(f"{what} should have shape {tuple(shape)} (the same as the input); it has shape {arr.shape}.")
    arr = arr.astype(np.float64)
    if np.isnan(arr).any():
        raise Failed(f"{what} contains NaN: some step divides 0 by 0 or takes inf - inf (e.g. exp overflowing).")
    if np.isinf(arr).any():
        raise Failed(f"{what} contains inf: something overflows, such as exp of a large number.")
    return arr


def close(value: float | np.ndarray, expected: float | np.ndarray, rtol: float = 1e-6, atol: float = 0.0) -> bool:
    """True when every entry is within ``atol + rtol * |expected|``."""
    return bool(np.all(np.abs(np.asarray(value, float) - expected) <= atol + rtol * np.abs(expected)))


def names_used(func: Callable) -> set[str]:
    """Global and attribute names a function's code refers to, nested functions included (in the notebook)."""
    code = getattr(func, "__code__", None)
    found: set[str] = set()
    stack = [code] if isinstance(code, types.CodeType) else []
    while stack:
        c = stack.pop()
        found.update(c.co_names)
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return found


def uses_none_of(ns: Namespace | RemoteNamespace, name: str, forbidden: Iterable[str], hint: str) -> None:
    """Fail with ``hint`` if the definition of ``name`` refers to any of the ``forbidden`` names.

    In the grader this reads the notebook's cells (:mod:`gradflow.grading.source`): the definition, the notebook's
    helpers it uses, and string constants; dynamic lookups (``getattr``, ``eval``, ...) fail too. In the notebook
    it reads the function's code object, which is enough for feedback.
    """
    if isinstance(ns, RemoteNamespace):
        names = ns.definition_names(name)
        expect(names is not None, f"`{name}` should be defined in a code cell of the notebook (with `def {name}`).")
        dynamic = sorted((names or set()) & DYNAMIC)
        expect(not dynamic, f"{hint} (write it without dynamic lookups such as {', '.join(dynamic)}.)")
    else:
        names = names_used(function(ns, name))
    bad = sorted((names or set()) & set(forbidden))
    expect(not bad, f"{hint} (your function uses {', '.join(bad)}.)")
