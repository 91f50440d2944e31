"""gradflow.over_seeds and the models' with_scale: the same numbers as drawing and measuring one network at a time.

Also the laws read off a sweep (log gain per layer, critical scale) on networks where they are exact.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradflow as gf

KEYS = jax.random.split(jax.random.key(0), 3)
X = jnp.asarray(np.random.default_rng(1).standard_normal((6, 3), np.float32))
Y = jnp.array([0, 1, 1, 0, 1, 0])

MODELS = {
    "mlp": gf.MLP(3, 4, 2, 2, "tanh", "lecun"),
    "batch_norm": gf.MLP(3, 4, 2, 2, "relu", "he", batch_norm=True),
    "residual_zero_branch": gf.MLP(3, 4, 3, 2, "relu", "he", residual=True, zero_branch=True),
    "residual_bn_zero_branch": gf.MLP(3, 4, 3, 2, "relu", "he", batch_norm=True, residual=True, zero_branch=True),
    "convnet": gf.ConvNet(channels=2, depth=2, size=4, out_dim=2),
    "rnn": gf.RNN("rnn", 2, 3),
    "lstm": gf.RNN("lstm", 2, 3),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_with_scale_of_a_unit_draw_is_the_draw_at_that_scale(name):
    model = MODELS[name]
    unit = model.init_params(KEYS[0])
    for scale in (0.0, 0.5, 3.0):
        want = model.init_params(KEYS[0], scale)
        got = model.with_scale(unit, scale)
        assert jax.tree.structure(got) == jax.tree.structure(want)
        for (path, a), b in zip(jax.tree_util.tree_leaves_with_path(got), jax.tree.leaves(want), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=0, err_msg=f"{name} at scale {scale}: {path}")
    moved = [not np.allclose(a, b) for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(unit), strict=True)]
    assert any(moved), f"{name}: scale {scale} changed no parameter, so the test could not fail"


def _loop(measure, model, keys, scales=None):
    """The reference: draw every network with init_params(key, scale) and measure it, one at a time."""
    if scales is None:
        return np.stack([np.asarray(measure(model.init_params(k))) for k in keys])
    return np.stack([[np.asarray(measure(model.init_params(k, s))) for s in scales] for k in keys])


@pytest.mark.parametrize("name", ["mlp", "batch_norm", "residual_zero_branch"])
def test_over_seeds_and_scales_equals_a_loop_seeds_first(name):
    """The old sweep raised KeyError 'W' on batch-norm and residual networks."""
    model = MODELS[name]
    scales = [0.5, 2.0]
    measure = lambda p: gf.backprop_signal(model, p, X, Y)
    got = np.asarray(gf.over_seeds(measure, model, KEYS, scales))
    assert got.shape == (3, 2, model.depth + 1), f"expected (seeds, scales, layers); got {got.shape}"
    np.testing.assert_allclose(got, _loop(measure, model, KEYS, scales), rtol=1e-5, atol=1e-9)
    assert not np.allclose(got[:, 0], got[:, 1]), "the scale made no difference"
    assert not np.allclose(got[0], got[1]), "the seed made no difference"


def test_over_seeds_without_scales_has_the_seeds_axis_only():
    model = MODELS["mlp"]
    got = gf.over_seeds(lambda p: gf.second_moments(model, p, X), model, KEYS)
    assert got.shape == (3, model.depth + 1)
    np.testing.assert_allclose(got, _loop(lambda p: gf.second_moments(model, p, X), model, KEYS), rtol=1e-5)


def test_over_seeds_returns_the_measures_pytree_and_chunks_change_nothing():
    model = MODELS["mlp"]
    measure = lambda p: {"w": p["dense_01"]["W"], "norms": gf.weight_norms(p)}
    keys = jax.random.split(jax.random.key(4), 5)
    whole = gf.over_seeds(measure, model, keys, [1.0, 4.0])
    assert whole["w"].shape == (5, 2, 3, 4) and whole["norms"].shape == (5, 2, 3)
    np.testing.assert_allclose(whole["w"][:, 1], 4 * whole["w"][:, 0], rtol=1e-6)
    np.testing.assert_allclose(whole["w"][:, 0], [model.init_params(k)["dense_01"]["W"] for k in keys], rtol=1e-6)
    chunked = gf.over_seeds(measure, model, keys, [1.0, 4.0], chunk=2)  # 5 keys: the last chunk is padded
    for leaf in whole:
        np.testing.assert_allclose(chunked[leaf], whole[leaf], rtol=1e-6, atol=0)


@pytest.mark.parametrize("name", ["convnet", "rnn"])
def test_over_seeds_measures_convnets_and_rnns(name):
    model = MODELS[name]
    if name == "convnet":
        x, y = jnp.asarray(np.random.default_rng(2).standard_normal((2, 1, 4, 4), np.float32)), jnp.array([0, 1])
    else:
        x, y = jnp.asarray(np.random.default_rng(3).standard_normal((4, 2, 2), np.float32)), jnp.ones((2, 1))
    measure = lambda p: gf.backprop_signal(model, p, x, y)
    got = gf.over_seeds(measure, model, KEYS[:2], [0.5, 1.5])
    np.testing.assert_allclose(got, _loop(measure, model, KEYS[:2], [0.5, 1.5]), rtol=1e-4, atol=1e-9)


def test_relu_second_moments_scale_by_s_squared_per_layer():
    """Zero biases and ReLU: every weight times s multiplies E[h_l^2] by s^(2l) exactly."""
    model = gf.MLP(3, 4, 3, 2, "relu", "he")
    got = np.asarray(gf.over_seeds(lambda p: gf.second_moments(model, p, X), model, KEYS[:2], [1.0, 0.5]))
    np.testing.assert_allclose(got[:, 1] / got[:, 0], np.broadcast_to(0.25 ** np.arange(4), (2, 4)), rtol=1e-5)


def test_an_orthogonal_linear_net_has_log_gain_log10_s_and_critical_scale_1():
    """A linear net of orthogonal square layers scales ||dL/dh_l|| by exactly s per layer backwards."""
    model = gf.MLP(4, 4, 5, 4, "linear", "orthogonal")
    x = jnp.asarray(np.random.default_rng(5).standard_normal((3, 4), np.float32))
    scales = np.array([0.5, 0.8, 1.25, 2.0])
    signal = np.asarray(gf.over_seeds(lambda p: gf.backprop_signal(model, p, x, Y[:3]), model, KEYS[:1], scales))[0]
    np.testing.assert_allclose(signal, signal[:, -1:] * scales[:, None] ** (5 - np.arange(6)), rtol=1e-5)
    gains = np.asarray(gf.log_gain_per_layer(signal))
    np.testing.assert_allclose(gains, np.log10(scales), atol=1e-5)
    assert gf.critical_scale(scales, gains) == pytest.approx(1.0, rel=1e-4)


def test_log_gain_fits_only_the_chosen_layers():
    values = 10.0 ** jnp.array([[-4.0, -3.0, -2.0, 5.0]])  # vanishing towards the input, then a jump at the end
    assert float(gf.log_gain_per_layer(values, 0, 2)[0]) == pytest.approx(-1.0, abs=1e-5)
    assert float(gf.log_gain_per_layer(values)[0]) < -1.0, "the last layer should enter by default"
    with pytest.raises(ValueError, match="first < last"):
        gf.log_gain_per_layer(values, 3, 3)
    with pytest.raises(ValueError, match="layer axis"):
        gf.log_gain_per_layer(jnp.float32(1.0))


def test_critical_scale_interpolates_the_zero_crossing_in_log_scale():
    scales = np.array([0.5, 1.0, 2.0, 4.0])
    assert gf.critical_scale(scales, np.log10(scales / 1.41421)) == pytest.approx(1.41421, rel=1e-6)
    with pytest.raises(ValueError, match="never change sign"):
        gf.critical_scale(scales, np.ones(4))
    with pytest.raises(ValueError, match="increasing"):
        gf.critical_scale(scales[::-1], np.log10(scales[::-1]))
    with pytest.raises(ValueError, match="same length"):
        gf.critical_scale(scales, np.ones(3))


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (("mlp", KEYS), TypeError, "model must be a gradflow model"),
        ((MODELS["mlp"], np.zeros((3, 2), np.uint32)), TypeError, "typed PRNG keys"),
        ((MODELS["mlp"], jax.random.key(0)), ValueError, "non-empty 1-D array of keys"),
        ((MODELS["mlp"], KEYS, []), ValueError, "scales must be a non-empty 1-D"),
        ((MODELS["mlp"], KEYS, [[1.0]]), ValueError, "scales must be a non-empty 1-D"),
        ((MODELS["mlp"], KEYS, [1.0, -1.0]), ValueError, "finite and >= 0"),
        ((MODELS["mlp"], KEYS, [1.0, np.nan]), ValueError, "finite and >= 0"),
        ((MODELS["mlp"], KEYS, None, 0), ValueError, "chunk must be an integer >= 1"),
    ],
)
def test_bad_input_raises_a_clear_error(args, error, match):
    with pytest.raises(error, match=match):
        gf.over_seeds(lambda p: 0.0, *args)
    with pytest.raises(TypeError, match="measure must be a function"):
        gf.over_seeds(3, MODELS["mlp"], KEYS)


def test_he_keeps_the_second_moment_and_lecun_halves_it_per_layer():
    """ReLU with Gaussian weights of variance s^2 / n_in: E[h_l^2] changes by s^2 / 2 per layer (He: s^2 = 2)."""
    model = gf.MLP(128, 128, 10, 3, "relu", "gaussian_fan_in")
    x = jnp.asarray(np.random.default_rng(6).standard_normal((64, 128), np.float32))
    keys = jax.random.split(jax.random.key(7), 16)
    moments = np.asarray(gf.over_seeds(lambda p: gf.second_moments(model, p, x), model, keys, [2**0.5, 1.0]))
    per_layer = np.median(moments[..., -1] / moments[..., 0], axis=0) ** (1 / 10)
    assert per_layer[0] == pytest.approx(1.0, abs=0.1), f"He: per-layer factor {per_layer[0]:.3f}, expected 1"
    assert per_layer[1] == pytest.approx(0.5, abs=0.05), f"1/n_in: per-layer factor {per_layer[1]:.3f}, expected 1/2"
