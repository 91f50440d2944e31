"""Sweeps over weight scales and seeds, by ``vmap`` (one compiled program, no Python loop).

:func:`sweep` runs any measurement of freshly initialized networks over a grid of
init scales x PRNG keys: ``measure(params)`` is called on ``init_mlp(key, spec, scale)``
for every pair, so any builder option (activation, initializer, depth) composes with
any measurement. :func:`signal_vs_depth` is the common case: the backprop signal
||dL/dh_l|| per layer. :func:`log_gain_per_layer` fits log10 of the signal against the layer
index, and :func:`critical_scale` finds where that log gain crosses zero:
the weight scale at which the backprop signal neither vanishes nor explodes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gradflow.measure.gradients import backprop_signal
from gradflow.models.mlp import MLP, Params, init_stack

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


def _scaled(params: Params, scale: Array) -> Params:
    """``params`` with every weight matrix times ``scale``; biases and batch-norm parameters unchanged."""
    return {name: {**layer, "W": layer["W"] * scale} if "W" in layer else layer for name, layer in params.items()}


def sweep(measure: Callable[[Params], Any], spec: MLP, scales: Array, keys: Array) -> Any:
    """``measure(init_mlp(key, spec, scale))`` for every scale and key, vmapped.

    ``scales``: (S,) weight scales (they multiply the initializer's standard deviation);
    ``keys``: (K,) typed PRNG keys. Returns ``measure``'s pytree with two leading axes (S, K).

    ``init_mlp`` is linear in ``scale`` (weights times scale, zero biases), so the
    weights are drawn once per key at scale 1 and multiplied by each scale: the
    same numbers as calling ``init_mlp`` per pair, with one random draw per key.
    """
    if not isinstance(spec, MLP):
        raise TypeError(f"spec must be a gradflow.models.mlp.MLP; got {type(spec).__name__}")
    if not callable(measure):
        raise TypeError(f"measure must be a function of the parameters; got {type(measure).__name__}")
    scales, keys = _check_scales(scales), _check_keys(keys)
    unit = init_stack(keys, spec)  # drawn once per key at scale 1

    def one(scale: Array, params: Params) -> Any:
        return measure(_scaled(params, scale))

    over_keys = jax.vmap(one, in_axes=(None, 0))
    return jax.jit(jax.vmap(over_keys, in_axes=(0, None)))(scales, unit)


def signal_vs_depth(spec: MLP, scales: Array, keys: Array, x: Array, y: Array, loss: str = "cross_entropy") -> Array:
    """Backprop signal norms ||dL/dh_l|| at initialization, shape (S, K, depth + 1).

    Index [i, j, l] is layer l (0 = input) of the network drawn with ``scales[i]``
    and ``keys[j]``, on the batch ``x`` (batch, in_dim) with labels/targets ``y``.
    """
    return sweep(lambda p: backprop_signal(spec, p, x, y, loss), spec, scales, keys)


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
