"""Sweeps over weight scales and seeds: same numbers as one network at a time, exact laws, bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradflow.measure import sweeps
from gradflow.measure.gradients import backprop_signal
from gradflow.models.mlp import MLP, init_mlp

KEYS = jax.random.split(jax.random.key(0), 3)
X = jax.random.normal(jax.random.key(1), (16, 8))
Y = jnp.arange(16) % 3


def test_sweep_matches_init_mlp_called_per_scale_and_key():
    spec = MLP(8, 8, 3, 3, activation="tanh", init="gaussian_fan_in")
    scales = jnp.array([0.5, 2.0])
    out = sweeps.signal_vs_depth(spec, scales, KEYS, X, Y)
    assert out.shape == (2, 3, 4), f"expected (scales, seeds, depth + 1) = (2, 3, 4); got {out.shape}"
    for i, s in enumerate(scales):
        for j, k in enumerate(KEYS):
            direct = backprop_signal(spec, init_mlp(k, spec, s), X, Y)
            np.testing.assert_allclose(
                out[i, j], direct, rtol=1e-5, err_msg=f"sweep differs from init_mlp at scale {s}, key {j}"
            )


def test_generic_sweep_returns_any_pytree_with_two_leading_axes():
    spec = MLP(8, 8, 2, 3, activation="relu", init="gaussian_fan_in")
    out = sweeps.sweep(lambda p: {"w": p["dense_01"]["W"].std(), "n": jnp.zeros(5)}, spec, [1.0, 2.0, 4.0], KEYS)
    assert out["w"].shape == (3, 3) and out["n"].shape == (3, 3, 5)
    np.testing.assert_allclose(out["w"][2] / out["w"][0], 4.0, rtol=1e-5, err_msg="the scale must multiply the weights")


def test_orthogonal_linear_net_scales_the_signal_by_exactly_s_per_layer():
    spec = MLP(8, 8, 6, 3, activation="linear", init="orthogonal")
    scales = np.array([0.5, 1.0, 1.5])
    out = np.asarray(sweeps.signal_vs_depth(spec, scales, KEYS[:1], X, Y))[:, 0]
    expected = out[:, -1:] * scales[:, None] ** (6 - np.arange(7))
    np.testing.assert_allclose(out, expected, rtol=1e-5, err_msg="||dL/dh_l|| should be s^(L-l) ||dL/dh_L||")
    gains = np.asarray(sweeps.log_gain_per_layer(out))
    np.testing.assert_allclose(gains, np.log10(scales), atol=1e-5, err_msg="the fitted log gain should be log10(s)")


def test_log_gain_sign_and_layer_range():
    values = 10.0 ** jnp.array([[-4.0, -3.0, -2.0, 5.0]])  # vanishing towards the input, then a jump at the end
    assert float(sweeps.log_gain_per_layer(values, 0, 2)[0]) == pytest.approx(-1.0, abs=1e-5)
    assert float(sweeps.log_gain_per_layer(values)[0]) < -1.0, "the last layer should enter by default"
    with pytest.raises(ValueError, match="first < last"):
        sweeps.log_gain_per_layer(values, 3, 3)


def test_critical_scale_interpolates_the_zero_crossing():
    scales = np.array([0.5, 1.0, 2.0, 4.0])
    assert sweeps.critical_scale(scales, np.log10(scales / 1.41421)) == pytest.approx(1.41421, rel=1e-6)
    with pytest.raises(ValueError, match="never change sign"):
        sweeps.critical_scale(scales, np.ones(4))
    with pytest.raises(ValueError, match="increasing"):
        sweeps.critical_scale(scales[::-1], np.log10(scales[::-1]))
    with pytest.raises(ValueError, match="same length"):
        sweeps.critical_scale(scales, np.ones(3))


def test_bad_input_is_named():
    spec = MLP(8, 8, 2, 3)
    with pytest.raises(TypeError, match="typed PRNG keys"):
        sweeps.signal_vs_depth(spec, [1.0], np.zeros((2, 2), np.uint32), X, Y)
    with pytest.raises(ValueError, match="scales must be a non-empty 1-D"):
        sweeps.signal_vs_depth(spec, [[1.0]], KEYS, X, Y)
    with pytest.raises(ValueError, match="finite and >= 0"):
        sweeps.signal_vs_depth(spec, [1.0, -1.0], KEYS, X, Y)
    with pytest.raises(TypeError, match="MLP"):
        sweeps.sweep(lambda p: 0.0, "spec", [1.0], KEYS)
    with pytest.raises(TypeError, match="measure must be a function"):
        sweeps.sweep(3, spec, [1.0], KEYS)


def test_a_batch_norm_network_sweeps_like_any_other():
    """Only the weight matrices are scaled; gamma, beta and biases come through as init_mlp makes them."""
    spec = MLP(6, 8, 3, 2, activation="tanh", batch_norm=True)
    keys = jax.random.split(jax.random.key(0), 2)
    x, y = jax.random.normal(jax.random.key(1), (16, 6)), jnp.arange(16) % 2
    got = np.asarray(sweeps.signal_vs_depth(spec, jnp.array([0.5, 2.0]), keys, x, y))
    for i, s in enumerate((0.5, 2.0)):
        for j, k in enumerate(keys):
            want = np.asarray(backprop_signal(spec, init_mlp(k, spec, s), x, y))
            np.testing.assert_allclose(got[i, j], want, rtol=1e-5)
