"""Learning-rate schedules (chapter 10): one written by hand, the rest from ``optax``.

:func:`warmup_cosine` is the lesson's hand-written linear-warmup-then-cosine
schedule; a test checks it against ``optax.warmup_cosine_decay_schedule``. The schedules the
chapter compares are built on its page from optax; :func:`values` evaluates one at steps
0 .. steps - 1.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from gradflow._checks import finite_float, positive_int

Array = jax.Array
Schedule = Callable[[Array], Array]


def warmup_cosine(
    step: Array | int, peak: float, warmup_steps: int, decay_steps: int, init: float = 0.0, end: float = 0.0
) -> Array:
    """Learning rate at ``step`` (any shape): linear from ``init`` to ``peak`` over ``warmup_steps``,
    then half a cosine from ``peak`` down to ``end``, reached at step ``decay_steps`` and kept after.

    lr(t) = init + (peak - init) t / warmup                       for t < warmup,
    lr(t) = end + (peak - end) (1 + cos(pi (t - warmup) / (decay - warmup))) / 2   for warmup <= t <= decay.
    Same conventions as ``optax.warmup_cosine_decay_schedule``.
    """
    peak = finite_float("peak", peak)
    init, end = finite_float("init", init), finite_float("end", end)
    warmup_steps = positive_int("warmup_steps", warmup_steps, minimum=0)
    decay_steps = positive_int("decay_steps", decay_steps)
    if decay_steps <= warmup_steps:
        raise ValueError(f"decay_steps must exceed warmup_steps; got {decay_steps} <= {warmup_steps}")
    t = jnp.asarray(step, jnp.float32)
    warm = init + (peak - init) * t / max(warmup_steps, 1)
    progress = jnp.clip((t - warmup_steps) / (decay_steps - warmup_steps), 0.0, 1.0)
    cosine = end + (peak - end) * 0.5 * (1.0 + jnp.cos(jnp.pi * progress))
    return jnp.where(t < warmup_steps, warm, cosine)


def values(schedule: Schedule, steps: int) -> Array:
    """``schedule`` evaluated at steps 0 .. steps - 1, shape (steps,), float32."""
    steps = positive_int("steps", steps)
    return jnp.asarray(jax.vmap(schedule)(jnp.arange(steps)), jnp.float32)
