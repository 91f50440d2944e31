"""The course's speed work, in one place: what makes the chapters run fast on a CPU and nothing else.

Results do not depend on anything here beyond floating-point rounding.

* ``FAST_COMPILE``: on a CPU, compiling a jitted function often costs more than running it. XLA's
  lowest backend optimization level compiles 2-5x faster and runs slower: it suits work that runs
  once or is small (measurements at initialization, small random draws, integer index work).
* :func:`concurrently`: independent computations side by side, one thread each. XLA compiles (and
  runs) without holding Python's lock, so two networks' functions compile at the same time on two
  cores; each computation is unchanged, so results equal a one-at-a-time loop's bit for bit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import jax
import jax.numpy as jnp
import numpy as np

from gradflow._checks import is_concrete, positive_int

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


def concurrently(fn: Callable[[K], R], keys: Iterable[K], workers: int | None = None) -> dict[K, R]:
    """``{key: fn(key)}`` for each of ``keys`` (a dict gives its keys), in their order, in up to ``workers`` threads.

    ``workers`` defaults to the number of cores. The calls must not depend on one another;
    the first exception a call raises is raised here. Put the longest calls first: the
    threads take the keys in order.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable; got {type(fn).__name__}")
    if isinstance(keys, (str, bytes)) or not isinstance(keys, Iterable):
        raise TypeError(f"keys must be an iterable of keys (a list, or a dict of name: network); got {keys!r:.80}")
    keys = list(keys)
    if len(set(keys)) != len(keys):
        raise ValueError(f"keys must be distinct; got {keys!r:.200}")
    if workers is None:
        workers = os.cpu_count() or 1
    positive_int("workers", workers)
    if workers == 1 or len(keys) < 2:
        return {key: fn(key) for key in keys}
    with ThreadPoolExecutor(min(workers, len(keys))) as pool:
        return dict(zip(keys, pool.map(fn, keys), strict=True))


FAST_COMPILE = {"xla_backend_optimization_level": 0}


def split_keys(key: jax.Array, n: int | None = None) -> list[jax.Array]:
    """``list(jax.random.split(key, n))`` (or the keys of a 1-D key array when ``n`` is None), same keys.

    Outside a trace, indexing a key array compiles once per length; splitting the raw key data
    on the host does not.
    """
    keys = key if n is None else jax.random.split(key, n)
    if not is_concrete(keys):
        return list(keys)
    impl = jax.random.key_impl(keys)
    return [jax.random.wrap_key_data(row, impl=impl) for row in np.asarray(jax.random.key_data(keys))]


def stack_params(draws: list) -> object:
    """Stack same-shaped pytrees along a new leading axis (for ``vmap``); on the host, where nothing compiles."""
    if not draws:
        raise ValueError("draws must hold at least one parameter pytree")
    return jax.tree.map(lambda *leaves: jnp.asarray(np.stack(leaves)), *draws)
