"""Tests of graded exercises, their hints, and how one test is run against a notebook's variables.

A chapter's tests live in one Python file (``exercises/masters/ch01_tests.py``) that builds a :class:`Suite`
and registers test functions with ``@suite.test(question, points, hidden=...)``. A test receives the notebook's
namespace (a mapping of variable names to values) and raises :class:`Failed` with a hint that teaches the likely
mistake, never the answer. The docstring's first line says what the test checks. Helpers below (:func:`answer`,
:func:`function`, :func:`number`, :func:`array`, :func:`expect`) turn the usual slips (a name not defined, ``...``
left in place, ``None`` returned, NaN, wrong shape) into such hints.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

Namespace = Mapping[str, Any]
MAX_MESSAGE = 600


class Failed(AssertionError):
    """A check failed; the message is the hint shown to the learner."""


class TimeLimit(Exception):
    """Raised inside a cell or a test that ran past its time limit while grading."""


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
    """The result of one test: points earned and, when it failed, the message shown."""

    test: str
    question: str
    description: str
    points: float
    earned: float
    hidden: bool
    message: str = ""

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


def run_test(test: Test, ns: Namespace) -> Outcome:
    """Run ``test`` against ``ns``; a learner's exception becomes a message, never escapes."""
    try:
        test.func(ns)
    except Failed as exc:
        message = str(exc)
    except TimeLimit:
        raise
    except Exception as exc:
        message = f"Calling your code raised {type(exc).__name__}: {exc}. Try your code on a small input to find where."
    else:
        return Outcome(test.name, test.question, test.description, test.points, test.points, test.hidden)
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    return Outcome(test.name, test.question, test.description, test.points, 0.0, test.hidden, message)


# ---- helpers for writing tests ------------------------------------------------------------------


def expect(condition: object, hint: str) -> None:
    """Fail with ``hint`` unless ``condition`` is true."""
    if not bool(condition):
        raise Failed(hint)


def answer(ns: Namespace, name: str) -> Any:
    """The value of ``name`` in the notebook, failing with a hint if it is missing or still ``...``."""
    if name not in ns:
        raise Failed(
            f"`{name}` is not defined. Run the cell that sets it (and the cells above it), and check its spelling."
        )
    value = ns[name]
    if value is Ellipsis:
        raise Failed(f"`{name}` is still `...`: replace the `...` with your answer and run the cell.")
    return value


def function(ns: Namespace, name: str) -> Callable:
    """The function ``name`` defined in the notebook."""
    value = answer(ns, name)
    if not callable(value):
        raise Failed(f"`{name}` should be a function (defined with `def {name}(...)`); it is a {type(value).__name__}.")
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
        raise Failed(f"{what} should be a number; it is a {type(value).__name__}.") from None
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
        raise Failed(f"{what} should be an array; it is a {type(value).__name__}.") from None
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
    """Global and attribute names a function's code refers to, nested functions included."""
    code = getattr(func, "__code__", None)
    found: set[str] = set()
    stack = [code] if isinstance(code, types.CodeType) else []
    while stack:
        c = stack.pop()
        found.update(c.co_names)
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return found


def uses_none_of(func: Callable, forbidden: Iterable[str], hint: str) -> None:
    """Fail with ``hint`` if ``func``'s code refers to any of the ``forbidden`` names."""
    bad = sorted(names_used(func) & set(forbidden))
    expect(not bad, f"{hint} (your function uses {', '.join(bad)}.)")
