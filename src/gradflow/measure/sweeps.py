"""Measurements of freshly drawn networks over seeds and weight scales, and what to read off them.

:func:`over_seeds` calls ``measure(params)`` on ``model.init_params(key, scale)`` for every
key (and scale), one compiled program vmapped over both: results have the seeds axis first,
then the scales. Any measurement of :mod:`gradflow.measure.probes` composes with any model.
:func:`log_gain_per_layer` fits log10 of a per-layer signal against the layer index, and
:func:`critical_scale` finds where that log gain crosses zero: the weight scale at which the
backprop signal neither vanishes nor explodes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gradflow._checks import positive_int
from gradflow._fast import FAST_COMPILE, split_keys, stack_params
from gradflow.measure.probes import Model, _check_model

Array = jax.Array


def _check_scales(scales: object) -> Array:
    arr = np.asarray(scales, dtype=float) if not isinstance(scales, jax.Array) else np.asarray(scales)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"scales must be a non-empty 1-D array of weight scales; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"scales must be finite and >= 0; got {arr}")
    return jnp.asarray(arr, jnp.float32)


def _check_keys(keys: object) -> Array:
    if not isinstance(keys, jax.Array) or not jnp.issubdtype(keys.dtype, jax.dtypes.prng_key):
        raise TypeError(
            "keys must be an array of typed PRNG keys, e.g. jax.random.split(jax.random.key(0), 8); "
            f"got {type(keys).__name__} {getattr(keys, 'dtype', '')}"
        )
    if keys.ndim != 1 or keys.shape[0] == 0:
        raise ValueError(f"keys must be a non-empty 1-D array of keys; got shape {keys.shape}")
    return keys


def over_seeds(
    measure: Callable[[Any], Any], model: Model, keys: Array, scales: Array | None = None, chunk: int | None = None
) -> Any:
    """``measure(model.init_params(key, scale))`` for every key of ``keys`` (K,) and scale of ``scales`` (S,).

    Returns ``measure``'s pytree with leading axes (K, S), or (K,) without ``scales``. Each key's
    parameters are drawn once at scale 1 and rescaled by ``model.with_scale`` (the same numbers as
    drawing at each scale). ``chunk`` keys at a time bound the memory (default: all at once).
    """
    model = _check_model(model)
    if not callable(measure):
        raise TypeError(f"measure must be a function of the parameters; got {type(measure).__name__}")
    keys = _check_keys(keys)
    chunk = keys.shape[0] if chunk is None else min(positive_int("chunk", chunk), keys.shape[0])
    if scales is None:
        one = measure
    else:
        scales = _check_scales(scales)
        one = lambda params: jax.vmap(lambda s: measure(model.with_scale(params, s)))(scales)
    run = jax.jit(jax.vmap(one), compiler_options=FAST_COMPILE)  # runs once: compile fast
    drawn = [model.init_params(k) for k in split_keys(keys)]
    drawn += drawn[: -len(drawn) % chunk]  # pad the last chunk: every chunk has one shape, one compilation
    parts = [run(stack_params(drawn[i : i + chunk])) for i in range(0, len(drawn), chunk)]
    return jax.tree.map(lambda *a: jnp.concatenate(a)[: keys.shape[0]], *parts)


def log_gain_per_layer(values: Array, first: int = 0, last: int | None = None) -> Array:
    """log10 of the backprop signal's mean gain per layer, going backwards (output to input).

    ``values`` holds ||dL/dh_l|| along its last axis (l = 0 is the input). This is
    minus the least-squares slope of log10(values) against l, fitted over layers
    ``first`` .. ``last`` (inclusive; default: the last one). Returns shape
    ``values.shape[:-1]``: negative means the signal vanishes towards the input
    (by 10**gain per layer), positive means it explodes, zero is critical.
    """
    values = jnp.asarray(values)
    if values.ndim < 1:
        raise ValueError("values must have a layer axis (the last one)")
    n = values.shape[-1]
    last = n - 1 if last is None else last
    if not (0 <= first < last < n):
        raise ValueError(f"need 0 <= first < last < {n} (the number of layers); got first={first}, last={last}")
    logs = jnp.log10(values[..., first : last + 1])
    layers = jnp.arange(first, last + 1, dtype=logs.dtype)
    centred = layers - layers.mean()
    return -jnp.sum((logs - logs.mean(-1, keepdims=True)) * centred, -1) / jnp.sum(centred**2)


def critical_scale(scales: Array, gains: Array) -> float:
    """The scale at which ``gains`` (e.g. log gains per layer, one per scale) first cross zero.

    Linear interpolation in log(scale) between the two scales that bracket the
    first sign change. Raises ValueError when the gains never change sign.
    """
    s = np.asarray(scales, dtype=float)
    m = np.asarray(gains, dtype=float)
    if s.ndim != 1 or s.shape != m.shape or s.size < 2:
        raise ValueError(f"scales and gains must be 1-D of the same length >= 2; got {s.shape} and {m.shape}")
    if np.any(s <= 0) or np.any(np.diff(s) <= 0):
        raise ValueError("scales must be positive and increasing")
    crossing = np.nonzero(np.sign(m[:-1]) != np.sign(m[1:]))[0]
    if crossing.size == 0:
        raise ValueError(f"the gains never change sign over scales {s.min():g}..{s.max():g}; widen the sweep")
    i = int(crossing[0])
    t = m[i] / (m[i] - m[i + 1])
    return float(np.exp(np.log(s[i]) + t * (np.log(s[i + 1]) - np.log(s[i]))))
