"""Dead and saturated units, measured from a network's activations.

Functions of the hidden activations ``hs[1:]`` that
``gf.forward(spec, params, x, return_activations=True)`` returns (or any
list of arrays of shape (batch, units...)): a unit is one index of the trailing
axes, an example one row.

* **dead**: the unit outputs zero on *every* example (a ReLU whose pre-activation
  is negative on the whole data set). Its derivative is zero on every example, so
  no gradient reaches its incoming weights and it cannot recover.
* **saturated**: the activation's derivative at that example is below
  ``threshold`` times its largest value (a sigmoid or tanh at its flat ends).
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from gradflow._checks import choice, finite_float
from gradflow.models import activations as act

Array = jax.Array

_FROM_OUTPUT = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")


def _as_layers(activations: Array | Sequence[Array]) -> list[Array]:
    layers = [activations] if hasattr(activations, "ndim") else list(activations)
    if not layers:
        raise ValueError("activations must be an array or a non-empty list of arrays of shape (batch, units)")
    for i, h in enumerate(layers):
        if getattr(h, "ndim", 0) < 2:
            raise ValueError(
                f"activations[{i}] must have shape (batch, units...); got {getattr(h, 'shape', type(h).__name__)}"
            )
    return [jnp.asarray(h) for h in layers]


def derivative_from_output(h: Array, activation: str, negative_slope: float = act.LEAKY_SLOPE) -> Array:
    """The activation's derivative at each entry, computed from its *output* ``h`` (same shape).

    sigmoid: h (1 - h); tanh: 1 - h^2; relu: 1 where h > 0 else 0; leaky_relu: 1 where
    h > 0 else ``negative_slope``; linear: 1. (GELU is not invertible: not supported.)
    """
    choice("activation", activation, _FROM_OUTPUT)
    h = jnp.asarray(h)
    if activation == "sigmoid":
        return h * (1.0 - h)
    if activation == "tanh":
        return 1.0 - h * h
    if activation == "relu":
        return jnp.where(h > 0, 1.0, 0.0).astype(h.dtype)
    if activation == "leaky_relu":
        return jnp.where(h > 0, 1.0, negative_slope).astype(h.dtype)
    return jnp.ones_like(h)


def dead_units(activations: Array | Sequence[Array], atol: float = 0.0) -> list[Array]:
    """Per layer, a boolean mask of shape (units...,): True where the output is zero (|h| <= atol) on every example."""
    atol = finite_float("atol", atol, positive=True)
    return [jnp.all(jnp.abs(h) <= atol, axis=0) for h in _as_layers(activations)]


def dead_fraction(activations: Array | Sequence[Array], atol: float = 0.0) -> Array:
    """Fraction of units per layer whose output is zero (|h| <= atol) on every example, shape (layers,)."""
    return jnp.stack([jnp.mean(mask) for mask in dead_units(activations, atol)])


def saturated_fraction(activations: Array | Sequence[Array], activation: str, threshold: float = 0.1) -> Array:
    """Fraction of entries (example x unit) per layer where act'(z) < threshold * max act', shape (layers,).

    For the sigmoid (max 1/4) the default threshold 0.1 means an output below 0.026 or
    above 0.974 (|z| > 3.6); for tanh, |h| > 0.949 (|z| > 1.8).
    """
    choice("activation", activation, ("sigmoid", "tanh"))
    threshold = finite_float("threshold", threshold, positive=True)
    if not 0.0 < threshold < 1.0:
        raise ValueError(
            f"threshold must lie strictly between 0 and 1 (a fraction of the largest derivative); got {threshold}"
        )
    peak = act.DERIVATIVE_BOUNDS[activation][1]
    return jnp.stack(
        [jnp.mean(derivative_from_output(h, activation) < threshold * peak) for h in _as_layers(activations)]
    )


def negative_fraction(activations: Array | Sequence[Array]) -> Array:
    """Fraction of units per layer whose output is <= 0 on every example, shape (layers,).

    For ReLU this is the dead fraction. A leaky-ReLU unit counted here is in its
    negative regime on every example, yet not dead: its derivative there is the
    negative slope, so gradient still reaches its incoming weights.
    """
    return jnp.stack([jnp.mean(mask) for mask in negative_units(activations)])


def negative_units(activations: Array | Sequence[Array]) -> list[Array]:
    """Per layer, a boolean mask of shape (units...,): True where the output is <= 0 on every example."""
    return [jnp.all(h <= 0, axis=0) for h in _as_layers(activations)]
