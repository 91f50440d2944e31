"""Per-layer measurements through one interface: zero probes added to a model's hidden states.

Every model of :mod:`gradflow.models` (``MLP``, ``ConvNet``, ``RNN``) has
``model.apply(params, x, probes=None) -> (output, hidden)`` and
``model.loss_of(output, y)``. ``hidden`` holds one array per layer: a list
[h_0, ..., h_L] (MLP, ConvNet; h_0 is the input) or one array whose first axis
is the time step (RNN: (T, batch, hidden)). ``probes`` has the same structure and
is added to each h_l before the next layer reads it, so probes of zeros change
nothing and the gradient of the loss with respect to them is the backprop signal
dL/dh_l. Every function here is that one forward and backward pass:

* :func:`hidden_and_signal`: the hidden states and dL/dh_l themselves (for histograms);
* :func:`layer_stats`: E[h_l^2] and ||dL/dh_l|| per layer, each (L,);
* :func:`backprop_signal`, :func:`second_moments`: one of the two;
* :func:`weight_gradient_norms`, :func:`weight_norms`: ||dL/dW|| and ||W|| of every weight matrix.

Norms are the Frobenius norm over the batch and the units (``gradflow._norm.norm``,
which does not underflow where ``jnp.linalg.norm`` does).
"""

from __future__ import annotations

from functools import wraps
from typing import Any, Protocol

import jax
import jax.numpy as jnp

from gradflow._norm import norm

Array = jax.Array


class Model(Protocol):
    """What the measurements need of a model (``MLP``, ``ConvNet`` and ``RNN`` have it)."""

    def init_params(self, key: Array, scale: float = 1.0) -> Any: ...
    def apply(self, params: Any, x: Array, probes: Any = None) -> tuple[Array, Any]: ...
    def loss_of(self, output: Array, y: Array) -> Array: ...
    def with_scale(self, params: Any, scale: float | Array) -> Any: ...


def _check_model(model: object) -> Model:
    missing = [m for m in ("apply", "loss_of", "init_params", "with_scale") if not callable(getattr(model, m, None))]
    if missing:
        raise TypeError(
            f"model must be a gradflow model (MLP, ConvNet, RNN) with apply, loss_of, init_params and with_scale; "
            f"{type(model).__name__} lacks {', '.join(missing)}"
        )
    return model  # type: ignore[return-value]


def _jit_model_first(fn):
    """``jax.jit`` with the model static, checked first: a non-model (say the parameters passed in its place,
    unhashable) is a TypeError naming what is expected, not JAX's complaint about static arguments."""
    jitted = jax.jit(fn, static_argnames="model")

    @wraps(fn)
    def call(model, *args, **kwargs):
        return jitted(_check_model(model), *args, **kwargs)

    return call


def per_layer(fn, hidden: Any) -> Array:
    """``fn`` of each layer's array, stacked: (L,) for a list of arrays or an array with a layer axis first."""
    if isinstance(hidden, (list, tuple)):
        return jnp.stack([fn(h) for h in hidden])
    return jax.vmap(fn)(hidden)


@_jit_model_first
def hidden_and_signal(model: Model, params: Any, x: Array, y: Array) -> tuple[Any, Any]:
    """(hidden, dL/dhidden): h_l and the backprop signal dL/dh_l, same structure and shapes as ``hidden``."""
    _check_model(model)
    shapes = jax.eval_shape(lambda: model.apply(params, x)[1])
    zeros = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)

    def loss(probes):
        output, hidden = model.apply(params, x, probes)
        return model.loss_of(output, y), hidden

    signal, hidden = jax.grad(loss, has_aux=True)(zeros)
    return hidden, signal


@_jit_model_first
def layer_stats(model: Model, params: Any, x: Array, y: Array) -> tuple[Array, Array]:
    """(E[h_l^2], ||dL/dh_l||) per layer, each shape (L,), from one forward and backward pass."""
    hidden, signal = hidden_and_signal(model, params, x, y)
    return per_layer(lambda h: jnp.mean(h * h), hidden), per_layer(norm, signal)


def backprop_signal(model: Model, params: Any, x: Array, y: Array) -> Array:
    """||dL/dh_l|| per layer, shape (L,) (layer 0 is the input for MLP and ConvNet, h_1 for an RNN)."""
    return layer_stats(model, params, x, y)[1]


@_jit_model_first
def second_moments(model: Model, params: Any, x: Array) -> Array:
    """E[h_l^2] per layer (mean over batch and units), shape (L,): a forward pass only."""
    return per_layer(lambda h: jnp.mean(h * h), _check_model(model).apply(params, x)[1])


def path_name(path: tuple) -> str:
    """A readable name for a pytree path, e.g. ``dense_01/W`` or ``0/kernel``."""
    parts = []
    for entry in path:
        for attr in ("key", "idx", "name"):
            if hasattr(entry, attr):
                parts.append(str(getattr(entry, attr)))
                break
        else:
            parts.append(str(entry))
    return "/".join(parts)


def named_leaves(tree) -> dict[str, Array]:
    """Flatten a pytree into {path name: array leaf}, in pytree order."""
    return {path_name(p): leaf for p, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]}


def weight_leaves(tree: Any) -> dict[str, Array]:
    """The weight matrices and kernels of a parameter pytree (leaves with 2 or more axes), by path name."""
    return {name: leaf for name, leaf in named_leaves(tree).items() if jnp.ndim(leaf) >= 2}


def weight_norms(tree: Any) -> Array:
    """||W|| of every weight matrix of ``tree`` in pytree order (``weight_leaves``), shape (n_weights,)."""
    return jnp.stack([norm(w) for w in weight_leaves(tree).values()])


@_jit_model_first
def weight_gradient_norms(model: Model, params: Any, x: Array, y: Array) -> Array:
    """||dL/dW|| of every weight matrix in pytree order (``weight_leaves``), shape (n_weights,)."""
    grads = jax.grad(lambda p: _check_model(model).loss_of(model.apply(p, x)[0], y))(params)
    return weight_norms(grads)
