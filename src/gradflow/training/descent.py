"""Gradient descent on a quadratic, where everything is known in closed form.

On f(w) = 1/2 w^T A w with A symmetric positive definite, one step
w <- w - lr A w multiplies the component along eigenvector i by (1 - lr lambda_i),
so gradient descent converges for every start iff 0 < lr < 2 / lambda_max.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from gradflow._checks import finite_float, is_concrete, positive_int

Array = jax.Array


def check_spd(a: Array) -> Array:
    """``a`` as a float array if it is a symmetric positive-definite matrix, else a ValueError."""
    a = jnp.asarray(a, jnp.float32)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"A must be a square matrix; got shape {a.shape}")
    if not bool(jnp.allclose(a, a.T)) or float(jnp.linalg.eigvalsh(a).min()) <= 0:
        raise ValueError("A must be symmetric positive definite")
    return a


def critical_lr(a: Array) -> float:
    """2 / lambda_max(A): gradient descent on 1/2 w^T A w converges iff 0 < lr < this.

    The eigenvalues are computed in float64 (of A's float32 entries), so a rate that the text
    calls critical (e.g. 0.2 for lambda_max = 10) is compared with 2 / lambda_max to within
    A's own rounding, not float32's eigenvalue solver's.
    """
    return float(2.0 / np.linalg.eigvalsh(np.asarray(check_spd(a), np.float64)).max())


def verdict(lr: float, lr_crit: float, rtol: float = 1e-4) -> str:
    """What gradient descent on the quadratic does at ``lr``: "converges", "diverges", or "boundary".

    Rates within ``rtol`` (relative) of ``lr_crit`` are on the boundary: the steepest direction's
    component is multiplied by 1 - lr lambda_max = -1 each step, so it flips sign without shrinking
    and the loss levels off (float32 rounding decides whether it then drifts up or down, slowly).
    """
    if abs(lr / lr_crit - 1.0) <= rtol:
        return "boundary"
    return "converges" if lr < lr_crit else "diverges"


@partial(jax.jit, static_argnames=("steps",))
def _descend(a, w0, lr, steps):
    def step(w, _):
        w_new = w - lr * (a @ w)
        return w_new, w_new

    _, path = jax.lax.scan(step, w0, None, length=steps)
    return jnp.concatenate([w0[None], path])


def gradient_descent(a: Array, w0: Array, lr: float | Array, steps: int) -> Array:
    """The iterates w_0..w_steps of gradient descent on 1/2 w^T A w, shape (steps + 1, dim).

    ``lr`` may be traced (``vmap`` over learning rates).
    """
    a = check_spd(a)
    w0 = jnp.asarray(w0, jnp.float32)
    if w0.shape != (a.shape[0],):
        raise ValueError(f"w0 must have shape ({a.shape[0]},) to match A; got {w0.shape}")
    if is_concrete(lr):
        finite_float("lr", lr, positive=True)
    return _descend(a, w0, lr, positive_int("steps", steps))


def quadratic_loss(a: Array, w: Array) -> Array:
    """f(w) = 1/2 w^T A w for w of shape (..., dim)."""
    return 0.5 * jnp.einsum("...i,ij,...j->...", w, a, w)
