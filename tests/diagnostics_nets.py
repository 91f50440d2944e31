"""Test networks for the diagnostics tests, the same model in four parameter styles.

Each network is a list of dense layers (W: (n_in, n_out), b) plus an activation;
``build(style, net)`` returns ``(loss_fn, params)`` for ``diagnose``: plain nested
dicts (as gradflow.models.mlp makes), Flax linen (``{"params": {"Dense_0": {"kernel", "bias"}}}``
and ``model.apply``), a Flax nnx module (``nnx.Linear``) or an Equinox module (``eqx.nn.Linear``).
The same weights go into every style, so the verdicts (and numbers) must agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gradflow import data
from gradflow.diagnostics import tap

STYLES = ("dict", "linen", "nnx", "equinox")
ACT = {"relu": jax.nn.relu, "sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh}


@dataclass(frozen=True)
class Net:
    """A dense net: weights[i] = (W, b); ``residual``: h + act(h W + b) for square hidden layers;
    ``sqrt_at``: index of a hidden layer that takes sqrt of its pre-activation instead of the activation
    (a bug: sqrt of a negative number is NaN)."""

    name: str
    weights: tuple
    activation: str
    residual: bool = False
    sqrt_at: int | None = None


def batch(n: int = 128):
    d = data.digits()
    return d.x_train[:n], d.y_train[:n]


def dense_net(name, depth, activation, scale, width=32, residual=False, sqrt_at=None, seed=0, gain=None):
    """Layers 64 -> width x depth -> 10, Gaussian weights of std scale * sqrt(gain / n_in), zero biases."""
    sizes = [64] + [width] * depth + [10]
    gain = gain if gain is not None else (2.0 if activation == "relu" else 1.0)
    keys = jax.random.split(jax.random.key(seed), len(sizes) - 1)
    weights = []
    for k, n_in, n_out in zip(keys, sizes[:-1], sizes[1:], strict=True):
        std = scale * np.sqrt(gain / n_in)
        weights.append((std * jax.random.normal(k, (n_in, n_out), jnp.float32), jnp.zeros((n_out,), jnp.float32)))
    return Net(name, tuple(weights), activation, residual, sqrt_at)


def _apply_layers(net: Net, layers, x):
    """layers: list of callables h -> h W + b (one per dense layer)."""
    f = ACT[net.activation]
    h = x
    for i, layer in enumerate(layers[:-1]):
        z = jnp.sqrt(layer(h)) if net.sqrt_at == i else f(layer(h))
        h = h + z if net.residual and i > 0 else z
        h = tap(f"h{i + 1}", h, net.activation if not net.residual else None)
    return layers[-1](h)


def _ce(logits, y):
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()


def build(style: str, net: Net):
    """(loss_fn(params, batch), params) of ``net`` in ``style``."""
    if style == "dict":
        params = {f"dense_{i + 1:02d}": {"W": W, "b": b} for i, (W, b) in enumerate(net.weights)}

        def loss(p, batch):
            x, y = batch
            layers = [lambda h, d=p[k]: h @ d["W"] + d["b"] for k in sorted(p)]
            return _ce(_apply_layers(net, layers, x), y)

        return loss, params
    if style == "linen":
        import flax.linen as nn

        sizes = [W.shape[1] for W, _ in net.weights]

        class Model(nn.Module):
            @nn.compact
            def __call__(self, x):
                return _apply_layers(net, [nn.Dense(n) for n in sizes], x)

        params = {"params": {f"Dense_{i}": {"kernel": W, "bias": b} for i, (W, b) in enumerate(net.weights)}}
        model = Model()
        return (lambda p, batch: _ce(model.apply(p, batch[0]), batch[1])), params
    if style == "nnx":
        from flax import nnx

        class Model(nnx.Module):
            def __init__(self):
                rngs = nnx.Rngs(0)
                self.layers = nnx.List([nnx.Linear(W.shape[0], W.shape[1], rngs=rngs) for W, _ in net.weights])
                for layer, (W, b) in zip(self.layers, net.weights, strict=True):
                    layer.kernel[...] = W
                    layer.bias[...] = b

            def __call__(self, x):
                return _apply_layers(net, list(self.layers), x)

        return (lambda m, batch: _ce(m(batch[0]), batch[1])), Model()
    if style == "equinox":
        import equinox as eqx

        class Model(eqx.Module):
            layers: list

            def __init__(self):
                self.layers = []
                for i, (W, b) in enumerate(net.weights):
                    lin = eqx.nn.Linear(W.shape[0], W.shape[1], key=jax.random.key(i))
                    lin = eqx.tree_at(lambda m: (m.weight, m.bias), lin, (W.T, b))
                    self.layers.append(lin)

            def __call__(self, x):
                return _apply_layers(net, [jax.vmap(lin) for lin in self.layers], x)

        return (lambda m, batch: _ce(m(batch[0]), batch[1])), Model()
    raise ValueError(style)
