"""A small convolutional network for the 8x8 digits, built on ``jax.lax.conv_general_dilated``.

``spec = ConvNet(channels, depth, activation, init)`` stacks ``depth`` 3x3
convolutions ("SAME" padding, stride 1, so every layer keeps the 8x8 image),
each followed by the activation, then averages over the image and maps the
``channels`` features to the logits with a dense layer. Parameters are a dict
``{"conv_01": {"W": (C_out, C_in, k, k), "b": (C_out,)}, ..., "output": {"W": (channels, out_dim), "b": ...}}``.
Images are NCHW: (batch, in_channels, size, size). As for the MLP, additive zero
probes on h_0..h_depth give the backprop signal dL/dh_l (``gf.backprop_signal(spec, params, x, y)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import optax

from gradflow._checks import choice, finite_float, is_concrete, positive_int
from gradflow._fast import split_keys
from gradflow.models import activations as act
from gradflow.models.initializers import init_weight, variance_scaling

Array = jax.Array
Params = dict[str, dict[str, Array]]

CONV_INITS: dict[str, tuple[float, str, str]] = {
    "lecun": (1.0, "fan_in", "truncated_normal"),
    "he": (2.0, "fan_in", "truncated_normal"),
    "xavier": (1.0, "fan_avg", "truncated_normal"),
    "gaussian_fan_in": (1.0, "fan_in", "normal"),
}
"""Initializer name -> ``jax.nn.initializers.variance_scaling`` arguments; fan_in = C_in * k * k."""

_DIMENSIONS = ("NCHW", "OIHW", "NCHW")
_DENSE_INIT = {"lecun": "lecun", "he": "he", "xavier": "xavier", "gaussian_fan_in": "gaussian_fan_in"}


@dataclass(frozen=True)
class ConvNet:
    """Static description of the convolutional net (hashable, a static argument of ``jit``)."""

    channels: int = 8
    depth: int = 6
    activation: str = "relu"
    init: str = "he"
    in_channels: int = 1
    size: int = 8
    kernel: int = 3
    out_dim: int = 10

    def __post_init__(self) -> None:
        for name in ("channels", "depth", "in_channels", "size", "kernel", "out_dim"):
            positive_int(name, getattr(self, name))
        if self.kernel % 2 == 0:
            raise ValueError(f"kernel must be odd so that 'SAME' padding keeps the image centred; got {self.kernel}")
        act.check_activation(self.activation)
        choice("init", self.init, CONV_INITS)

    @property
    def layer_names(self) -> tuple[str, ...]:
        """Convolution layers in order, then ``"output"``."""
        return (*(f"conv_{i:02d}" for i in range(1, self.depth + 1)), "output")

    # The model interface shared by MLP, ConvNet and RNN (see gradflow.models).
    def init_params(self, key: Array, scale: float | Array = 1.0) -> Params:
        """:func:`init_convnet` of this spec."""
        return init_convnet(key, self, scale)

    def apply(self, params: Params, x: Array, probes: list[Array] | None = None) -> tuple[Array, list[Array]]:
        """(logits (batch, out_dim), feature maps [h_0 = x, ..., h_depth]) with probes added to h_l."""
        return forward(self, params, x, probes=probes, return_activations=True)

    def loss_of(self, output: Array, y: Array) -> Array:
        """Mean softmax cross-entropy of the logits ``output`` on integer labels ``y`` (batch,)."""
        return optax.softmax_cross_entropy_with_integer_labels(output, y).mean()

    def with_scale(self, params: Params, scale: float | Array) -> Params:
        """``params`` drawn at scale 1 turned into what ``init_params(key, scale)`` gives: every kernel and W times ``scale``."""
        return {n: {**layer, "W": layer["W"] * scale} for n, layer in params.items()}


def as_images(x: Array, size: int = 8) -> Array:
    """Flat images (batch, size*size) as NCHW (batch, 1, size, size)."""
    if getattr(x, "ndim", None) != 2 or x.shape[1] != size * size:
        raise ValueError(f"x must have shape (batch, {size * size}); got {getattr(x, 'shape', type(x).__name__)}")
    return x.reshape(x.shape[0], 1, size, size)


def init_convnet(key: Array, spec: ConvNet, scale: float | Array = 1.0) -> Params:
    """Draw parameters: kernels by ``spec.init`` times ``scale`` (may be traced), zero biases."""
    if not isinstance(spec, ConvNet):
        raise TypeError(f"spec must be a gradflow.models.conv.ConvNet; got {type(spec).__name__}")
    if is_concrete(scale):
        finite_float("scale", scale, positive=True)
    factor, mode, distribution = CONV_INITS[spec.init]
    keys = split_keys(key, spec.depth + 1)
    params: Params = {}
    c_in = spec.in_channels
    for k, name in zip(keys[:-1], spec.layer_names[:-1], strict=True):
        shape = (spec.channels, c_in, spec.kernel, spec.kernel)
        w = variance_scaling(k, shape, factor, mode, distribution, in_axis=1, out_axis=0)  # (out, in, kh, kw)
        params[name] = {"W": w * scale, "b": jnp.zeros((spec.channels,), jnp.float32)}
        c_in = spec.channels
    params["output"] = {
        "W": init_weight(keys[-1], (spec.channels, spec.out_dim), _DENSE_INIT[spec.init], scale),
        "b": jnp.zeros((spec.out_dim,), jnp.float32),
    }
    return params


def forward(
    spec: ConvNet, params: Params, x: Array, probes: list[Array] | None = None, return_activations: bool = False
) -> Array | tuple[Array, list[Array]]:
    """Logits (batch, out_dim); optionally also the feature maps [h_0 = x, h_1, ..., h_depth].

    ``x``: (batch, in_channels, size, size). ``probes``: depth + 1 arrays added to h_0..h_depth.
    """
    want = (spec.in_channels, spec.size, spec.size)
    if getattr(x, "ndim", None) != 4 or tuple(x.shape[1:]) != want:
        raise ValueError(
            f"x must have shape (batch, {', '.join(map(str, want))}); got {getattr(x, 'shape', type(x).__name__)}"
        )
    f = act.get(spec.activation)
    h = x if probes is None else x + probes[0]
    hs = [h]
    for i, name in enumerate(spec.layer_names[:-1], start=1):
        layer = params[name]
        z = jax.lax.conv_general_dilated(h, layer["W"], (1, 1), "SAME", dimension_numbers=_DIMENSIONS)
        h = f(z + layer["b"][None, :, None, None])
        if probes is not None:
            h = h + probes[i]
        hs.append(h)
    pooled = h.mean(axis=(2, 3))
    logits = pooled @ params["output"]["W"] + params["output"]["b"]
    return (logits, hs) if return_activations else logits


def loss_fn(spec: ConvNet, params: Params, x: Array, y: Array, probes: list[Array] | None = None) -> Array:
    """Mean softmax cross-entropy on integer labels ``y`` (batch,)."""
    if getattr(y, "ndim", None) != 1 or y.shape[0] != x.shape[0]:
        raise ValueError(f"labels y must have shape ({x.shape[0]},) to match x; got {getattr(y, 'shape', None)}")
    logits = forward(spec, params, x, probes=probes)
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
