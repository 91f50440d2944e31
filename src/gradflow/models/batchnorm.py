"""Batch normalization (Ioffe & Szegedy 2015), written out in JAX.

For a batch of pre-activations ``z`` of shape (batch, units), train mode uses the
batch's own statistics, per unit:

    mu = mean_b z,   var = mean_b (z - mu)^2,   z_hat = (z - mu) / sqrt(var + eps),
    y = gamma * z_hat + beta.

Each train-mode call also moves the running averages towards the batch's
statistics: ``running <- (1 - momentum) * running + momentum * batch``
(PyTorch's convention, momentum 0.1). Eval mode normalizes with the running
averages instead, so one example's output no longer depends on the rest of the
batch. As in Flax, the running variance averages the biased batch variance
(the original paper uses the unbiased one, a factor n / (n - 1)), so after
many updates on a fixed batch eval mode reproduces train mode.

Parameters are ``{"gamma": (units,), "beta": (units,)}`` and state is
``{"mean": (units,), "var": (units,)}``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gradflow._checks import finite_float, is_concrete, positive_int

Array = jax.Array
BNParams = dict[str, Array]
BNState = dict[str, Array]

EPS = 1e-5
"""Added to the variance before the square root (PyTorch's and Flax's default)."""

MOMENTUM = 0.1
"""Weight of the new batch statistics in the running averages (PyTorch's default)."""


def init_bn(units: int) -> BNParams:
    """Learnable scale and shift: gamma = 1, beta = 0, each of shape (units,)."""
    positive_int("units", units)
    ones, zeros = np.ones(units, np.float32), np.zeros(units, np.float32)  # on the host: nothing to compile
    return {"gamma": jnp.asarray(ones), "beta": jnp.asarray(zeros)}


def init_bn_state(units: int) -> BNState:
    """Running averages at the start: mean 0 and variance 1, each of shape (units,)."""
    positive_int("units", units)
    ones, zeros = np.ones(units, np.float32), np.zeros(units, np.float32)
    return {"mean": jnp.asarray(zeros), "var": jnp.asarray(ones)}


def _check(z: Array, bn: BNParams, what: str = "z") -> None:
    if getattr(z, "ndim", None) != 2:
        raise ValueError(f"{what} must have shape (batch, units); got {getattr(z, 'shape', type(z).__name__)}")
    if not isinstance(bn, dict) or set(bn) != {"gamma", "beta"}:
        raise TypeError(f"bn params must be a dict with keys 'gamma' and 'beta'; got {bn!r:.80}")
    for name in ("gamma", "beta"):
        if bn[name].shape != (z.shape[1],):
            raise ValueError(f"{name} must have shape ({z.shape[1]},) to match {what}; got {bn[name].shape}")


def batch_stats(z: Array) -> tuple[Array, Array]:
    """Per-unit batch mean and biased variance of ``z`` (batch, units), each (units,)."""
    mean = jnp.mean(z, axis=0)
    return mean, jnp.mean(jnp.square(z - mean), axis=0)


def normalize(z: Array, mean: Array, var: Array, bn: BNParams, eps: float = EPS) -> Array:
    """gamma * (z - mean) / sqrt(var + eps) + beta, for ``z`` (batch, units)."""
    return bn["gamma"] * (z - mean) * jax.lax.rsqrt(var + eps) + bn["beta"]


def bn_train(
    z: Array, bn: BNParams, state: BNState | None = None, momentum: float = MOMENTUM, eps: float = EPS
) -> tuple[Array, BNState]:
    """Train mode: normalize ``z`` (batch, units) by its own batch statistics.

    Returns the output (batch, units) and the updated running averages (if
    ``state`` is None, they start from :func:`init_bn_state`). The batch needs
    at least two rows: with one, every output would be beta.
    """
    _check(z, bn)
    if z.shape[0] < 2:
        raise ValueError(f"train-mode batch normalization needs a batch of at least 2 rows; got {z.shape[0]}")
    if is_concrete(momentum):
        check_momentum(momentum)
    state = init_bn_state(z.shape[1]) if state is None else state
    mean, var = batch_stats(z)
    new_state = {
        "mean": (1.0 - momentum) * state["mean"] + momentum * jax.lax.stop_gradient(mean),
        "var": (1.0 - momentum) * state["var"] + momentum * jax.lax.stop_gradient(var),
    }
    return normalize(z, mean, var, bn, eps), new_state


def bn_eval(z: Array, bn: BNParams, state: BNState, eps: float = EPS) -> Array:
    """Eval mode: normalize ``z`` (batch, units) by the running averages in ``state``."""
    _check(z, bn)
    if not isinstance(state, dict) or set(state) != {"mean", "var"}:
        raise TypeError(f"state must be a dict with keys 'mean' and 'var'; got {state!r:.80}")
    return normalize(z, state["mean"], state["var"], bn, eps)


def bn_backward(z: Array, bn: BNParams, g: Array, eps: float = EPS) -> tuple[Array, Array, Array]:
    """The paper's backward pass by hand: given dL/dy (batch, units) return (dL/dz, dL/dgamma, dL/dbeta).

    With z_hat = (z - mu) / s, s = sqrt(var + eps) and n rows:
    dL/dz = gamma / s * (g - mean_b g - z_hat * mean_b(g * z_hat)). The term
    subtracted is what the batch statistics contribute: the gradient is
    projected off the directions that shift or rescale a unit over the batch.
    """
    _check(z, bn)
    if g.shape != z.shape:
        raise ValueError(f"g must have the shape of z {z.shape}; got {g.shape}")
    mean, var = batch_stats(z)
    inv_s = jax.lax.rsqrt(var + eps)
    z_hat = (z - mean) * inv_s
    dz = bn["gamma"] * inv_s * (g - g.mean(0) - z_hat * jnp.mean(g * z_hat, axis=0))
    return dz, jnp.sum(g * z_hat, axis=0), jnp.sum(g, axis=0)


def check_momentum(momentum: object) -> float:
    """``momentum`` as a float in (0, 1], else a ValueError/TypeError."""
    m = finite_float("momentum", momentum)
    if not 0.0 < m <= 1.0:
        raise ValueError(f"momentum must lie in (0, 1]; got {m}")
    return m
