"""The course's speed work, in one place: what makes the chapters run fast on a CPU and nothing else.

Results do not depend on anything here beyond floating-point rounding (the draws and stacks are the
same numbers the plain calls give, bit for bit; tested).

* ``FAST_COMPILE``: on a CPU, compiling a jitted function often costs more than running it. XLA's
  lowest backend optimization level compiles 2-5x faster and runs slower: it suits work that runs
  once (``measure.over_seeds``: measurements of freshly drawn networks; small random draws).
* :func:`eager_draw`: drawn eagerly, every new weight shape compiles the PRNG's hash (0.2-1.3 s on a CPU,
  several per chapter); one compiled draw per (shape, initializer) with the scale a runtime argument,
  small matrices compiled fast (their values can differ from a fully optimized draw in the last bit,
  the inverse error function's rounding), large ones, where running time matters, optimized.
* :func:`split_keys`: outside a trace, indexing a key array compiles once per length; splitting
  the raw key data on the host does not.
* :func:`stack_params`: ``jnp.stack`` run eagerly compiles once per leaf shape; ``np.stack`` on the
  host compiles nothing.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from gradflow._checks import is_concrete

FAST_COMPILE = {"xla_backend_optimization_level": 0}


def split_keys(key: jax.Array, n: int | None = None) -> list[jax.Array]:
    """``list(jax.random.split(key, n))`` (or the keys of a 1-D key array when ``n`` is None), the same keys."""
    keys = key if n is None else jax.random.split(key, n)
    if not is_concrete(keys):
        return list(keys)
    impl = jax.random.key_impl(keys)
    return [jax.random.wrap_key_data(row, impl=impl) for row in np.asarray(jax.random.key_data(keys))]


def stack_params(draws: list) -> object:
    """Same-shaped pytrees (e.g. one network's parameters per seed) stacked along a new leading axis, for ``vmap``."""
    if not draws:
        raise ValueError("draws must hold at least one parameter pytree")
    return jax.tree.map(lambda *leaves: jnp.asarray(np.stack(leaves)), *draws)


SMALL_DRAW = 2**15
"""Draws with fewer entries than this are compiled with ``FAST_COMPILE``."""


@functools.cache
def _compiled_draw(sample: Callable, fast: bool) -> Callable:
    return jax.jit(sample, static_argnums=(1, 2), compiler_options=FAST_COMPILE if fast else None)


def eager_draw(sample: Callable, key: jax.Array, shape: tuple[int, ...], recipe: object, scale: object) -> jax.Array:
    """``sample(key, shape, recipe, scale)``: under a trace as it is, eagerly compiled once per (shape, recipe)."""
    if not is_concrete(key):  # under a trace: part of the caller's computation
        return sample(key, shape, recipe, scale)
    return _compiled_draw(sample, math.prod(shape) < SMALL_DRAW)(key, shape, recipe, scale)


BUILD_XLA_FLAGS = ("--xla_backend_optimization_level=1",)
"""What the book build (and ``tools/run_chapter.py``) adds to ``XLA_FLAGS`` for the chapter kernels.

XLA's backend optimization level 1 instead of the default 3: a 50-layer batch-norm network's training
loop, vmapped over 12 runs, compiled in 34 s instead of 54 s (busy machine), ran as fast, and gave the
same losses to the last digit printed. Chapters are compiled far more than they run on a CPU.
"""


def build_xla_flags(current: str = "") -> str:
    """``current`` XLA_FLAGS with :data:`BUILD_XLA_FLAGS` added (a flag already set there is kept as it is)."""
    flags = current.split()
    names = {flag.split("=", 1)[0] for flag in flags}
    return " ".join(flags + [flag for flag in BUILD_XLA_FLAGS if flag.split("=", 1)[0] not in names])
