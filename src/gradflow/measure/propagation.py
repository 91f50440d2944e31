"""How the signal's size propagates through a freshly initialized network, over seeds.

Per layer l = 0 (the input) .. depth, :func:`layer_stats` measures the
activations' second moment E[h_l^2] (mean over the batch and the units) and
the norm of the backprop signal ||dL/dh_l||, from one forward and one backward
pass of :func:`gradflow.models.mlp.forward`. :func:`over_seeds` does it for many
PRNG keys and weight scales at once: the weights of each key are drawn once by
``networks.init_mlp`` and multiplied by each scale, and the keys are processed
in fixed-size chunks by one compiled program vmapped over keys and scales.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gradflow._checks import choice, finite_float, positive_int
from gradflow._fast import FAST_COMPILE
from gradflow._norm import norm
from gradflow.models.mlp import LOSSES, MLP, Params, _loss, forward, init_stack

Array = jax.Array


def _check_spec(spec: object) -> MLP:
    if not isinstance(spec, MLP):
        raise TypeError(f"spec must be a gradflow.models.mlp.MLP; got {type(spec).__name__}")
    return spec


def second_moments(spec: MLP, params: Params, x: Array) -> Array:
    """E[h_l^2] for l = 0 (the input x) .. depth, shape (depth + 1,): mean over batch and units."""
    _, hs = forward(_check_spec(spec), params, x, return_activations=True)
    return jnp.stack([jnp.mean(h * h) for h in hs])


# A one-off measurement at initialization: compiling it costs more than running it.
@partial(jax.jit, static_argnames="spec", compiler_options=FAST_COMPILE)
def second_moments_per_seed(spec: MLP, stacked: Params, x: Array) -> Array:
    """:func:`second_moments` for each network in ``stacked`` (``networks.init_stack``): shape (seeds, depth + 1)."""
    return jax.vmap(lambda p: second_moments(spec, p, x))(stacked)


@partial(jax.jit, static_argnames=("spec", "loss"))
def activations_and_signals(
    spec: MLP, params: Params, x: Array, y: Array, loss: str = "cross_entropy"
) -> tuple[list[Array], list[Array]]:
    """([h_0, ..., h_depth], [dL/dh_0, ..., dL/dh_depth]), each array (batch, n_l); jitted, for histograms."""
    choice("loss", loss, LOSSES)
    probes = [jnp.zeros((x.shape[0], n), x.dtype) for n in _check_spec(spec).sizes[:-1]]

    def f(p):
        logits, hs = forward(spec, params, x, probes=p, return_activations=True)
        return _loss(logits, x, y, loss), hs

    grads, hs = jax.grad(f, has_aux=True)(probes)
    return hs, grads


def layer_stats(spec: MLP, params: Params, x: Array, y: Array, loss: str = "cross_entropy") -> tuple[Array, Array]:
    """(E[h_l^2], ||dL/dh_l||) for l = 0 .. depth, each shape (depth + 1,), from one forward/backward pass."""
    hs, grads = activations_and_signals(spec, params, x, y, loss)
    return jnp.stack([jnp.mean(h * h) for h in hs]), jnp.stack([norm(g) for g in grads])


def draw(spec: MLP, keys: Array) -> Params:
    """``init_mlp(key, spec)`` for every key of ``keys`` (K,), stacked: each leaf gets a leading axis K.

    ``networks.init_stack`` with the arguments in this module's order (spec first).
    """
    return init_stack(keys, _check_spec(spec))


class Stats(NamedTuple):
    """Per-layer statistics over scales and seeds.

    moments: (K, S, depth + 1) E[h_l^2]; signal: (K, S, depth + 1) ||dL/dh_l||;
    K keys (seeds), S weight scales, layers l = 0 (input) .. depth.
    """

    moments: Array
    signal: Array


def _scaled(params: Params, scale: Array) -> Params:
    return {n: {k: (v * scale if k == "W" else v) for k, v in layer.items()} for n, layer in params.items()}


@partial(jax.jit, static_argnames=("spec", "loss"))
def _chunk_stats(spec: MLP, params: Params, x: Array, y: Array, scales: Array, loss: str) -> tuple[Array, Array]:
    def per_key(p):
        return jax.vmap(lambda s: layer_stats(spec, _scaled(p, s), x, y, loss))(scales)

    return jax.vmap(per_key)(params)


def over_seeds(
    spec: MLP,
    keys: Array,
    x: Array,
    y: Array,
    scales: Array | list[float] = (1.0,),
    loss: str = "cross_entropy",
    chunk: int = 16,
) -> Stats:
    """:func:`layer_stats` of ``init_mlp(key, spec, scale)`` for every key and scale.

    ``keys``: (K,) typed PRNG keys; ``scales``: (S,) weight scales (they multiply the
    initializer's standard deviation); ``x`` (batch, in_dim) and ``y`` (labels or
    targets) as for ``networks.loss_fn``. Each key's weights are drawn once and
    scaled (``init_mlp`` is linear in the scale); ``chunk`` keys are processed at a
    time (memory: chunk x one network's weights). Returns :class:`Stats`.
    """
    _check_spec(spec)
    if not isinstance(keys, jax.Array) or not jnp.issubdtype(keys.dtype, jax.dtypes.prng_key) or keys.ndim != 1:
        raise TypeError(
            f"keys must be a 1-D array of typed PRNG keys, e.g. jax.random.split(jax.random.key(0), 8); got {keys!r:.80}"
        )
    scales = np.asarray(scales, dtype=float)
    if scales.ndim != 1 or scales.size == 0:
        raise ValueError(f"scales must be a non-empty 1-D list of weight scales; got shape {scales.shape}")
    for s in scales:
        finite_float("scale", s, positive=True)
    chunk = min(positive_int("chunk", chunk), keys.shape[0])
    chunk = -(-keys.shape[0] // -(-keys.shape[0] // chunk))  # as many chunks, evened out: the least padding
    pad = -keys.shape[0] % chunk
    padded = jnp.concatenate([keys, keys[:pad]]) if pad else keys
    parts = [
        _chunk_stats(spec, draw(spec, padded[i : i + chunk]), x, y, jnp.asarray(scales, jnp.float32), loss)
        for i in range(0, padded.shape[0], chunk)
    ]
    moments, signal = (jnp.concatenate([p[j] for p in parts])[: keys.shape[0]] for j in range(2))
    return Stats(moments, signal)


def fraction_outside(ratios: Array, factor: float = 10.0) -> float:
    """Fraction of ``ratios`` that are above ``factor`` or below 1/``factor`` (or not finite, or <= 0)."""
    factor = finite_float("factor", factor, positive=True, allow_zero=False)
    if factor <= 1:
        raise ValueError(f"factor must be > 1; got {factor}")
    r = np.asarray(ratios, dtype=float).ravel()
    if r.size == 0:
        raise ValueError("ratios must not be empty")
    inside = np.isfinite(r) & (r > 0) & (r <= factor) & (r >= 1 / factor)
    return float(1.0 - inside.mean())
