"""Checking gradients: central finite differences and a ``cmp`` of two gradients.

``cmp`` prints, as in Karpathy's makemore part 3, whether a hand-derived
gradient equals the autodiff one exactly, approximately, and the largest
difference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gradflow._checks import finite_float

Array = jax.Array


def central_difference(f: Callable[[Array], Array], x: Array, h: float = 1e-6) -> Array:
    """Gradient of scalar ``f`` at ``x`` (any shape) by central differences (f(x+h e_i) - f(x-h e_i)) / 2h.

    Runs in the dtype of ``x``: pass float64 (``jax.config.update("jax_enable_x64", True)``
    or NumPy-backed evaluation) for accurate results.
    """
    h = finite_float("h", h, positive=True, allow_zero=False)
    x = jnp.asarray(x)
    flat = x.ravel()
    eye = jnp.eye(flat.size, dtype=x.dtype)

    def one(e):
        return (f((flat + h * e).reshape(x.shape)) - f((flat - h * e).reshape(x.shape))) / (2 * h)

    return jax.vmap(one)(eye).reshape(x.shape)


class Comparison(NamedTuple):
    """Result of :func:`cmp`: exact equality, closeness, the largest absolute and relative difference."""

    name: str
    exact: bool
    close: bool
    max_abs_diff: float
    max_rel_diff: float

    def __str__(self) -> str:
        return (
            f"{self.name:<12s} | exact: {self.exact!s:5s} | close: {self.close!s:5s} | "
            f"max abs diff: {self.max_abs_diff:.2e} | max rel diff: {self.max_rel_diff:.2e}"
        )


def relative_error(a: Array, b: Array) -> float:
    """max |a - b| / max(|b|, tiny): the relative error of ``a`` against reference ``b``."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), np.finfo(np.float64).tiny))


def cmp(name: str, mine: Array, reference: Array, rtol: float = 1e-5, atol: float = 1e-8) -> Comparison:
    """Compare a hand-derived gradient ``mine`` with ``reference`` (e.g. from ``jax.grad``)."""
    a, b = np.asarray(mine), np.asarray(reference)
    if a.shape != b.shape:
        raise ValueError(f"{name}: shapes differ, {a.shape} (yours) vs {b.shape} (reference)")
    return Comparison(
        name,
        bool(np.array_equal(a, b)),
        bool(np.allclose(a, b, rtol=rtol, atol=atol)),
        float(np.max(np.abs(a.astype(np.float64) - b))) if a.size else 0.0,
        relative_error(a, b) if a.size else 0.0,
    )
