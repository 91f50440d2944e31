"""Learning-rate schedules (chapter 10): one written by hand, the rest from ``optax``.

:func:`warmup_cosine` is the lesson's hand-written linear-warmup-then-cosine
schedule; a test checks it against ``optax.warmup_cosine_decay_schedule``.
:func:`named` builds the schedules the chapter compares, all from optax, and
:func:`values` evaluates a schedule at steps 0 .. steps - 1.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax

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


def named(peak: float, steps: int) -> dict[str, Schedule]:
    """The chapter's schedules over ``steps`` steps, all peaking at (or starting from) ``peak``, from optax.

    constant; step (divide by 10 at 50% and 75% of training); exponential (down to
    peak/100 at the end); cosine (to 0); cosine with 3 restarts (SGDR); linear warmup
    (10% of the steps) then cosine; one-cycle (cosine up for 30%, then down).
    """
    peak = finite_float("peak", peak, positive=True, allow_zero=False)
    steps = positive_int("steps", steps, minimum=10)
    cycle = steps // 3
    return {
        "constant": optax.constant_schedule(peak),
        "step": optax.piecewise_constant_schedule(peak, {steps // 2: 0.1, 3 * steps // 4: 0.1}),
        "exponential": optax.exponential_decay(peak, transition_steps=steps, decay_rate=0.01),
        "cosine": optax.cosine_decay_schedule(peak, decay_steps=steps),
        "cosine restarts": optax.sgdr_schedule(
            [{"init_value": peak, "peak_value": peak, "warmup_steps": 0, "decay_steps": cycle}] * 3
        ),
        "warmup + cosine": optax.warmup_cosine_decay_schedule(0.0, peak, steps // 10, steps),
        "one-cycle": optax.cosine_onecycle_schedule(steps, peak),
    }


def values(schedule: Schedule, steps: int) -> Array:
    """``schedule`` evaluated at steps 0 .. steps - 1, shape (steps,), float32."""
    steps = positive_int("steps", steps)
    return jnp.asarray(jax.vmap(schedule)(jnp.arange(steps)), jnp.float32)
