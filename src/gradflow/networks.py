"""A multilayer perceptron whose parameters are a plain pytree with named layers.

``spec = MLP(in_dim, width, depth, out_dim, activation, init)`` is a small
frozen (hashable) description, so it can be a static argument of ``jax.jit``.
``init_mlp(key, spec, scale)`` draws the parameters: a dict
``{"dense_01": {"W": (in_dim, width), "b": (width,)}, ..., "output": {...}}``.
``forward(spec, params, x)`` maps a batch ``x`` of shape (batch, in_dim) to
logits of shape (batch, out_dim).

The hidden activations h_0 = x, h_1, ..., h_depth are returned on request, and
``forward`` accepts additive zero "probes" on them: the gradient of the loss
with respect to a probe is the backprop signal dL/dh_l (see ``gradients``).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import optax

from gradflow import activations as act
from gradflow._checks import choice, finite_float, is_concrete, positive_int
from gradflow.initializers import check_initializer, init_weight

Array = jax.Array
Params = dict[str, dict[str, Array]]

LOSSES = ("cross_entropy", "mse")


@dataclass(frozen=True)
class MLP:
    """Static description of an MLP: sizes, activation and initializer names."""

    in_dim: int
    width: int
    depth: int
    out_dim: int
    activation: str = "relu"
    init: str = "he"

    def __post_init__(self) -> None:
        positive_int("in_dim", self.in_dim)
        positive_int("width", self.width)
        positive_int("depth", self.depth)
        positive_int("out_dim", self.out_dim)
        act.check_activation(self.activation)
        check_initializer(self.init)

    @property
    def layer_names(self) -> tuple[str, ...]:
        """Names of the dense layers in order, hidden ones then ``"output"``."""
        return (*(f"dense_{i:02d}" for i in range(1, self.depth + 1)), "output")

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths from input to output: (in_dim, width, ..., width, out_dim)."""
        return (self.in_dim,) + (self.width,) * self.depth + (self.out_dim,)


def init_mlp(key: Array, spec: MLP, scale: float | Array = 1.0) -> Params:
    """Draw parameters for ``spec``: weights by ``spec.init`` times ``scale``, zero biases.

    The output layer uses the same rule as the hidden layers. ``scale`` may be
    traced (``vmap`` over scales); a concrete scale must be finite and >= 0.
    """
    if not isinstance(spec, MLP):
        raise TypeError(f"spec must be a gradflow.networks.MLP; got {type(spec).__name__}")
    if is_concrete(scale):
        finite_float("scale", scale, positive=True)
    keys = jax.random.split(key, spec.depth + 1)
    params: Params = {}
    for k, name, n_in, n_out in zip(keys, spec.layer_names, spec.sizes[:-1], spec.sizes[1:], strict=True):
        params[name] = {"W": init_weight(k, (n_in, n_out), spec.init, scale), "b": jnp.zeros((n_out,), jnp.float32)}
    return params


def _check_input(spec: MLP, x: Array) -> None:
    if getattr(x, "ndim", None) != 2 or x.shape[1] != spec.in_dim:
        raise ValueError(f"x must have shape (batch, {spec.in_dim}); got {getattr(x, 'shape', type(x).__name__)}")


def forward(
    spec: MLP,
    params: Params,
    x: Array,
    probes: list[Array] | None = None,
    return_activations: bool = False,
) -> Array | tuple[Array, list[Array]]:
    """Logits (batch, out_dim) of the MLP; optionally also [h_0, ..., h_depth].

    ``probes``, if given, is a list of depth + 1 arrays added to h_0..h_depth
    (pass zeros and differentiate with respect to them to get dL/dh_l).
    """
    _check_input(spec, x)
    f = act.get(spec.activation)
    h = x if probes is None else x + probes[0]
    hs = [h]
    for i, name in enumerate(spec.layer_names[:-1], start=1):
        layer = params[name]
        h = f(h @ layer["W"] + layer["b"])
        if probes is not None:
            h = h + probes[i]
        hs.append(h)
    out = params["output"]
    logits = h @ out["W"] + out["b"]
    return (logits, hs) if return_activations else logits


def loss_fn(spec: MLP, params: Params, x: Array, y: Array, loss: str = "cross_entropy", probes=None) -> Array:
    """Mean loss over the batch: softmax cross-entropy on integer labels ``y`` (batch,),
    or mean squared error against targets ``y`` (batch, out_dim)."""
    choice("loss", loss, LOSSES)
    logits = forward(spec, params, x, probes=probes)
    if loss == "cross_entropy":
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise ValueError(f"labels y must have shape ({x.shape[0]},) to match x; got {y.shape}")
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    if y.shape != logits.shape:
        raise ValueError(f"targets y must have shape {logits.shape} for the mse loss; got {y.shape}")
    return jnp.mean((logits - y) ** 2)


def accuracy(spec: MLP, params: Params, x: Array, y: Array) -> Array:
    """Fraction of rows of ``x`` whose arg-max logit equals the integer label ``y``."""
    return jnp.mean(jnp.argmax(forward(spec, params, x), axis=-1) == y)
