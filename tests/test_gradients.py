"""Backprop signal and weight gradients per layer against independent computations."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradflow.measure import gradients
from gradflow.models.mlp import MLP, forward, init_mlp, loss_fn

KEY = jax.random.key(1)


def _setup(activation="tanh", depth=4):
    spec = MLP(6, 10, depth, 3, activation=activation, init="xavier")
    params = init_mlp(KEY, spec)
    x = jax.random.normal(jax.random.key(2), (16, 6))
    y = jnp.arange(16) % 3
    return spec, params, x, y


def test_backprop_signal_matches_a_manual_chain_rule():
    spec, params, x, y = _setup("tanh", depth=3)
    logits, hs = forward(spec, params, x, return_activations=True)
    # dL/dlogits for mean softmax cross-entropy, then back through each tanh layer by hand
    delta = (jax.nn.softmax(logits) - jax.nn.one_hot(y, 3)) / x.shape[0]
    delta = delta @ params["output"]["W"].T
    expected = [jnp.linalg.norm(delta)]
    for name, h in zip(reversed(spec.layer_names[:-1]), reversed(hs[1:]), strict=True):
        delta = (delta * (1 - h**2)) @ params[name]["W"].T
        expected.append(jnp.linalg.norm(delta))
    np.testing.assert_allclose(gradients.backprop_signal(spec, params, x, y), expected[::-1], rtol=2e-5)


def test_weight_gradient_norms_match_jax_grad():
    spec, params, x, y = _setup("sigmoid")
    grads = jax.grad(lambda p: loss_fn(spec, p, x, y))(params)
    expected = [jnp.linalg.norm(grads[n]["W"]) for n in spec.layer_names]
    np.testing.assert_allclose(gradients.weight_gradient_norms(spec, params, x, y), expected, rtol=1e-6)


def test_weight_norms_are_frobenius_norms():
    spec, params, *_ = _setup()
    assert float(gradients.weight_norms(spec, params)[0]) == pytest.approx(
        float(jnp.sqrt((params["dense_01"]["W"] ** 2).sum()))
    )


def test_backprop_signals_is_backprop_signal_per_seed():
    from gradflow.models.mlp import init_stack

    spec = MLP(6, 8, 5, 3, activation="tanh", init="xavier", batch_norm=True)
    keys = jax.random.split(KEY, 3)
    x, y = jax.random.normal(KEY, (16, 6)), jnp.arange(16) % 3
    got = gradients.backprop_signals(spec, init_stack(keys, spec), x, y)
    assert got.shape == (3, spec.depth + 1), f"expected (seeds, depth + 1) = (3, 6); got {got.shape}"
    for i, k in enumerate(keys):
        alone = gradients.backprop_signal(spec, init_mlp(k, spec), x, y)
        np.testing.assert_allclose(got[i], alone, rtol=1e-5, err_msg=f"seed {i}: the fast-compiled signal differs")


def test_signals_at_init_draws_with_the_keys_and_scale():
    from gradflow.models.mlp import init_stack

    spec = MLP(6, 8, 4, 3, activation="tanh", init="normal")
    keys = jax.random.split(KEY, 2)
    x, y = jax.random.normal(KEY, (16, 6)), jnp.arange(16) % 3
    got = gradients.signals_at_init(spec, keys, x, y, scale=0.05)
    assert isinstance(got, np.ndarray) and got.shape == (2, spec.depth + 1)
    want = gradients.backprop_signals(spec, init_stack(keys, spec, 0.05), x, y)
    np.testing.assert_array_equal(got, want, err_msg="signals_at_init must use init_stack(keys, spec, scale)")
    unscaled = gradients.signals_at_init(spec, keys, x, y)
    assert not np.allclose(got, unscaled), "the scale was ignored: scale 0.05 gave the signal of scale 1"


def test_every_signal_measurement_survives_underflow():
    """A 50-layer sigmoid net: its input-side signal is far below 1e-19, where squares underflow in float32."""
    from gradflow.measure import propagation

    spec = MLP(8, 16, 50, 3, activation="sigmoid", init="xavier")
    params = init_mlp(jax.random.key(0), spec)
    x, y = jax.random.normal(jax.random.key(1), (4, 8)), jnp.arange(4) % 3
    signal = np.asarray(gradients.backprop_signal(spec, params, x, y))
    _, stats_signal = propagation.layer_stats(spec, params, x, y)
    assert signal[0] < 1e-20 and np.all(signal > 0), signal[:3]
    np.testing.assert_allclose(np.asarray(stats_signal), signal, rtol=1e-4, atol=0)
