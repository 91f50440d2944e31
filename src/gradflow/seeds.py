"""The course's random seeds, from one place, so that a whole second set can be drawn.

Every chapter draws its keys with :func:`key` and its NumPy generators with
:func:`rng` instead of ``jax.random.key(n)`` and ``np.random.default_rng(n)``.
With the environment variable ``GRADFLOW_SEED_SET`` unset or ``0`` they are exactly
those calls (the published book). With ``GRADFLOW_SEED_SET=k`` (a positive integer)
every key and generator is a different, independent one: ``make test`` executes
the chapters a second time that way and requires every claim to hold there too,
so that no claim rests on a lucky seed.
"""

from __future__ import annotations

import os

import jax
import numpy as np

ENV = "GRADFLOW_SEED_SET"


def seed_set() -> int:
    """The seed set in force: ``int(os.environ["GRADFLOW_SEED_SET"])``, 0 when unset or empty."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return 0
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{ENV} must be a non-negative integer; got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{ENV} must be a non-negative integer; got {raw!r}")
    return value


def _seed(name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{name} must be an integer seed; got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {n}")
    return int(n)


def key(n: int) -> jax.Array:
    """The course's PRNG key number ``n``: ``jax.random.key(n)`` in seed set 0, another key in every other set."""
    n, s = _seed("n", n), seed_set()
    base = jax.random.key(n)
    return base if s == 0 else jax.random.fold_in(base, s)


def rng(*n: int) -> np.random.Generator:
    """The course's NumPy generator for seed ``n`` (one or more integers): ``np.random.default_rng(n)`` in set 0."""
    if not n:
        raise TypeError("rng needs at least one integer seed, e.g. rng(0)")
    parts = tuple(_seed("seed", x) for x in n)
    s = seed_set()
    seed = parts if s == 0 else (*parts, 2**31 + s)  # an extra entry: an independent stream per set
    return np.random.default_rng(seed[0] if len(seed) == 1 else seed)
