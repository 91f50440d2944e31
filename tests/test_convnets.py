"""The small convolutional net: shapes, the convolution against a hand-written one, init variance, bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradflow as gf
from gradflow.models import conv as convnets

KEY = jax.random.key(0)


def test_shapes_and_activations():
    spec = convnets.ConvNet(channels=4, depth=3, activation="tanh", init="lecun")
    params = convnets.init_convnet(KEY, spec)
    assert list(params) == ["conv_01", "conv_02", "conv_03", "output"]
    assert params["conv_01"]["W"].shape == (4, 1, 3, 3) and params["conv_02"]["W"].shape == (4, 4, 3, 3)
    x = convnets.as_images(jax.random.normal(KEY, (5, 64)))
    logits, hs = convnets.forward(spec, params, x, return_activations=True)
    assert logits.shape == (5, 10) and [h.shape for h in hs] == [(5, 1, 8, 8)] + [(5, 4, 8, 8)] * 3
    assert gf.backprop_signal(spec, params, x, jnp.arange(5)).shape == (4,)


def test_first_layer_is_a_same_padded_3x3_correlation():
    spec = convnets.ConvNet(channels=1, depth=1, activation="linear", init="lecun")
    params = convnets.init_convnet(KEY, spec)
    x = jax.random.normal(KEY, (1, 1, 8, 8))
    _, hs = convnets.forward(spec, params, x, return_activations=True)
    w = np.asarray(params["conv_01"]["W"][0, 0])
    padded = np.pad(np.asarray(x[0, 0]), 1)
    by_hand = np.array([[np.sum(padded[i : i + 3, j : j + 3] * w) for j in range(8)] for i in range(8)])
    np.testing.assert_allclose(
        hs[1][0, 0], by_hand, rtol=1e-5, atol=1e-5, err_msg="conv layer is not a 3x3 same correlation"
    )


def test_init_variance_uses_the_fan_in_of_the_kernel():
    spec = convnets.ConvNet(channels=64, depth=2, init="gaussian_fan_in")
    w = convnets.init_convnet(KEY, spec, scale=2.0)["conv_02"]["W"]
    assert float(jnp.var(w)) == pytest.approx(4.0 / (64 * 9), rel=0.05), "Var(W) should be scale^2 / (C_in * 9)"


def test_backprop_signal_matches_jax_grad_on_the_input():
    spec = convnets.ConvNet(channels=3, depth=2, activation="sigmoid", init="lecun")
    params = convnets.init_convnet(KEY, spec)
    x, y = jax.random.normal(KEY, (4, 1, 8, 8)), jnp.arange(4)
    direct = jax.jit(jax.grad(lambda xx: convnets.loss_fn(spec, params, xx, y)))(x)
    assert float(gf.backprop_signal(spec, params, x, y)[0]) == pytest.approx(float(jnp.linalg.norm(direct)), rel=1e-5)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="kernel must be odd"):
        convnets.ConvNet(kernel=2)
    with pytest.raises(ValueError, match="unknown init"):
        convnets.ConvNet(init="orthogonal")
    with pytest.raises(TypeError, match="ConvNet"):
        convnets.init_convnet(KEY, "spec")
    spec = convnets.ConvNet(channels=2, depth=1)
    params = convnets.init_convnet(KEY, spec)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 1, 8, 8\)"):
        convnets.forward(spec, params, jnp.ones((2, 64)))
    with pytest.raises(ValueError, match=r"shape \(batch, 64\)"):
        convnets.as_images(jnp.ones((2, 63)))
    with pytest.raises(ValueError, match="labels y"):
        convnets.loss_fn(spec, params, jnp.ones((2, 1, 8, 8)), jnp.ones((2, 1), jnp.int32))
