"""The suite's own tolerances can fail: no comparison of a tiny value hides behind a default absolute tolerance.

``pytest.approx(4e-25, rel=1e-5)`` keeps approx's default ``abs=1e-12``, so it accepts 0.0 (the
value a naive, underflowing norm gives): a test that cannot fail. ``np.isclose``/``np.allclose``
keep ``atol=1e-8`` the same way. Every approx of a literal below 1e-6 must say ``abs=`` (usually
``abs=0``), and every isclose/allclose with such a literal ``atol=``.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


ABSOLUTE = {"approx": "abs", "isclose": "atol", "allclose": "atol"}  # function: its absolute-tolerance keyword


def tiny_approx_without_abs(source: str) -> list[int]:
    """Line numbers of approx/isclose/allclose calls with a literal below 1e-6 that do not set the absolute tolerance."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        name = getattr(node.func, "attr", getattr(node.func, "id", "")) if isinstance(node, ast.Call) else ""
        if name not in ABSOLUTE or any(k.arg == ABSOLUTE[name] for k in node.keywords):
            continue
        for arg in node.args[:2]:
            try:
                value = ast.literal_eval(arg)
            except ValueError:
                continue
            values = value if isinstance(value, (list, tuple)) else [value]
            if any(isinstance(v, (int, float)) and 0 < abs(v) < 1e-6 for v in values):
                lines.append(node.lineno)
                break
    return lines


def test_the_checker_finds_the_hidden_default():
    assert tiny_approx_without_abs("import pytest\nx == pytest.approx(4e-25, rel=1e-5)\n") == [2]
    assert tiny_approx_without_abs("x == pytest.approx(4e-25, rel=1e-5, abs=0)\n") == []
    assert tiny_approx_without_abs("x == approx([1e-9, 1.0])\n") == [1]
    assert tiny_approx_without_abs("x == pytest.approx(0.5)\n") == []
    assert tiny_approx_without_abs("assert np.isclose(x, 1e-9, rtol=1e-3)\n") == [1]
    assert tiny_approx_without_abs("assert np.allclose(x, 1e-9, atol=0)\n") == []


def test_no_test_compares_a_tiny_value_within_the_default_absolute_tolerance():
    found = {p.name: tiny_approx_without_abs(p.read_text()) for p in sorted(TESTS.glob("*.py"))}
    found = {name: lines for name, lines in found.items() if lines}
    assert not found, f"a tiny value compared without an absolute tolerance (it would accept 0): {found}"
