"""Gradient clipping, written out once by hand, and the experiments of chapter 9.

:func:`clip_by_global_norm` is the lesson's hand-written version of
``optax.clip_by_global_norm`` (a test checks they agree): if the global norm
||g|| of the whole gradient pytree exceeds ``max_norm``, every leaf is scaled
by the same factor max_norm / ||g||, so the direction is kept. Clipping by
value (``optax.clip``) clips each entry separately and changes the direction.

Training with clipping is ``gf.train`` with ``optax.chain(optax.clip_by_global_norm(c), optax.sgd(lr))``.
:func:`cliff_loss` is the one-unit recurrence of Pascanu et al. (2013) whose
loss surface has a cliff.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gradflow._checks import is_concrete, positive_int

Array = jax.Array


def _check_max_norm(max_norm: object) -> None:
    """A ValueError/TypeError unless a concrete ``max_norm`` is a number > 0 (inf allowed)."""
    if not is_concrete(max_norm):
        return
    if isinstance(max_norm, (str, bytes, bool)) or jnp.ndim(max_norm) != 0:
        raise TypeError(f"max_norm must be a positive number (inf for no clipping); got {max_norm!r}")
    if not float(max_norm) > 0:
        raise ValueError(f"max_norm must be > 0 (inf for no clipping); got {max_norm}")


def global_norm(tree) -> Array:
    """sqrt of the sum of squares of every entry of every leaf of ``tree`` (a scalar)."""
    leaves = jax.tree.leaves(tree)
    if not leaves:
        raise ValueError("global_norm needs a pytree with at least one array leaf")
    return jnp.sqrt(sum(jnp.sum(jnp.square(leaf)) for leaf in leaves))


def clip_by_global_norm(tree, max_norm: float | Array):
    """``tree`` scaled by min(1, max_norm / ||tree||): the global norm is at most ``max_norm``.

    Every leaf is multiplied by the same factor, so the direction of the whole
    gradient is unchanged. ``max_norm`` must be > 0 (it may be traced).
    """
    _check_max_norm(max_norm)
    norm = global_norm(tree)
    factor = jnp.where(norm > max_norm, max_norm / norm, 1.0)
    return jax.tree.map(lambda leaf: leaf * factor.astype(leaf.dtype), tree)


def angle_degrees(a, b) -> Array:
    """The angle in degrees between two pytrees of the same structure, seen as flat vectors.

    Computed as 2 atan2(||u - v||, ||u + v||) with u, v the unit vectors, which
    stays accurate for tiny angles (arccos of the cosine does not).
    """
    if jax.tree.structure(a) != jax.tree.structure(b):
        raise ValueError("a and b must be pytrees of the same structure")
    na, nb = global_norm(a), global_norm(b)
    u = jax.tree.map(lambda x: x / na, a)
    v = jax.tree.map(lambda x: x / nb, b)
    diff = global_norm(jax.tree.map(jnp.subtract, u, v))
    total = global_norm(jax.tree.map(jnp.add, u, v))
    return jnp.degrees(2.0 * jnp.arctan2(diff, total))


def cliff_loss(w: float | Array, b: float | Array, steps: int = 50, x0: float = 0.5, target: float = 0.7) -> Array:
    """Loss (x_T - target)^2 of the one-unit recurrence x_t = w sigmoid(x_{t-1}) + b, T = ``steps``.

    Pascanu, Mikolov & Bengio (2013), section 3: as w crosses a bifurcation the
    final state x_T jumps, and the loss surface has a near-vertical wall.
    ``w`` and ``b`` may be arrays of the same shape (evaluated elementwise).
    """
    positive_int("steps", steps)
    w, b = jnp.broadcast_arrays(jnp.asarray(w, jnp.float32), jnp.asarray(b, jnp.float32))

    def step(x, _):
        return w * jax.nn.sigmoid(x) + b, None

    x_t, _ = jax.lax.scan(step, jnp.full(w.shape, x0, jnp.float32), None, length=steps)
    return (x_t - target) ** 2
