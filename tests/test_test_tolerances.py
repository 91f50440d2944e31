"""The suite's own tolerances can fail: no ``pytest.approx`` of a tiny value hides behind the default absolute tolerance.

``pytest.approx(4e-25, rel=1e-5)`` keeps approx's default ``abs=1e-12``, so it accepts 0.0 (the
value a naive, underflowing norm gives): a test that cannot fail. Every approx of a literal below
1e-6 must say ``abs=`` (usually ``abs=0``).
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def tiny_approx_without_abs(source: str) -> list[int]:
    """Line numbers of ``approx(<literal below 1e-6>, ...)`` calls that do not set ``abs``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "approx"):
            continue
        if not node.args or any(k.arg == "abs" for k in node.keywords):
            continue
        try:
            value = ast.literal_eval(node.args[0])
        except ValueError:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(v, (int, float)) and 0 < abs(v) < 1e-6 for v in values):
            lines.append(node.lineno)
    return lines


def test_the_checker_finds_the_hidden_default():
    assert tiny_approx_without_abs("import pytest\nx == pytest.approx(4e-25, rel=1e-5)\n") == [2]
    assert tiny_approx_without_abs("x == pytest.approx(4e-25, rel=1e-5, abs=0)\n") == []
    assert tiny_approx_without_abs("x == approx([1e-9, 1.0])\n") == [1]
    assert tiny_approx_without_abs("x == pytest.approx(0.5)\n") == []


def test_no_test_compares_a_tiny_value_within_the_default_absolute_tolerance():
    found = {p.name: tiny_approx_without_abs(p.read_text()) for p in sorted(TESTS.glob("*.py"))}
    found = {name: lines for name, lines in found.items() if lines}
    assert not found, f"approx of a value below 1e-6 without abs= (it would accept 0): {found}"
