"""Gradients per layer: the backprop signal dL/dh_l and the weight gradient dL/dW_l.

The two are different quantities (see "Words" in the course plan): the backprop
signal is the gradient with respect to a layer's *activations* and is what
shrinks or grows geometrically with depth; the weight gradient is what the
optimizer sees. Both are reported by layer name.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from gradflow._fast import FAST_COMPILE
from gradflow._norm import norm
from gradflow.measure.probes import named_leaves, path_name  # noqa: F401 (moved)
from gradflow.models.mlp import MLP, Params, init_stack, loss_fn

Array = jax.Array


@partial(jax.jit, static_argnames=("spec", "loss"))
def backprop_signal(spec: MLP, params: Params, x: Array, y: Array, loss: str = "cross_entropy") -> Array:
    """Norm of the backprop signal ||dL/dh_l|| for l = 0 (input) .. depth, shape (depth + 1,).

    The norm is the Frobenius norm over the batch and units of dL/dh_l.
    """
    probes = [jnp.zeros((x.shape[0], n), x.dtype) for n in spec.sizes[:-1]]
    grads = jax.grad(lambda p: loss_fn(spec, params, x, y, loss, probes=p))(probes)
    return jnp.stack([norm(g) for g in grads])


# A measurement at initialization runs once, on a small batch: compiling it dominates.
@partial(jax.jit, static_argnames=("spec", "loss"), compiler_options=FAST_COMPILE)
def backprop_signals(spec: MLP, stacked: Params, x: Array, y: Array, loss: str = "cross_entropy") -> Array:
    """:func:`backprop_signal` for each set of parameters in ``stacked`` (``networks.init_stack``): shape (seeds, depth + 1)."""
    return jax.vmap(lambda p: backprop_signal(spec, p, x, y, loss))(stacked)


def signals_at_init(
    spec: MLP, keys: Array, x: Array, y: Array, scale: float = 1.0, loss: str = "cross_entropy"
) -> np.ndarray:
    """The backprop signal per layer of a freshly initialized ``spec`` for each key in ``keys`` (seeds,).

    The weights are ``networks.init_stack(keys, spec, scale)``; returns a NumPy array of shape
    (seeds, depth + 1), layer 0 being the input.
    """
    return np.asarray(backprop_signals(spec, init_stack(keys, spec, scale), x, y, loss))


@partial(jax.jit, static_argnames=("spec", "loss"))
def weight_gradient_norms(spec: MLP, params: Params, x: Array, y: Array, loss: str = "cross_entropy") -> Array:
    """||dL/dW_l|| for each dense layer, hidden ones then output, shape (depth + 1,)."""
    grads = jax.grad(lambda p: loss_fn(spec, p, x, y, loss))(params)
    return jnp.stack([norm(grads[name]["W"]) for name in spec.layer_names])


def weight_norms(spec: MLP, params: Params) -> Array:
    """||W_l|| (Frobenius) for each dense layer, shape (depth + 1,)."""
    return jnp.stack([norm(params[name]["W"]) for name in spec.layer_names])
