"""Batch normalization: its equations, its hand-written backward pass, train/eval modes, the MLP option, bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradflow as gf
from gradflow.measure.probes import backprop_signal
from gradflow.models import batchnorm as bn
from gradflow.models.mlp import MLP, forward, forward_with_state, init_mlp, init_state

KEY = jax.random.key(0)


def _batch(shape=(16, 5)):
    return 3.0 * jax.random.normal(KEY, shape) + 2.0


def test_train_mode_follows_the_equations():
    z = _batch()
    params = {"gamma": jnp.linspace(0.5, 2.0, 5), "beta": jnp.arange(5.0)}
    y, _ = bn.bn_train(z, params)
    zn = np.asarray(z, np.float64)
    mu, var = zn.mean(0), zn.var(0)  # biased variance, as in the paper's training mode
    want = np.asarray(params["gamma"]) * (zn - mu) / np.sqrt(var + bn.EPS) + np.asarray(params["beta"])
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5, err_msg="y = gamma (z - mu)/sqrt(var + eps) + beta")


def test_with_unit_gamma_each_unit_has_mean_zero_and_variance_one():
    y, _ = bn.bn_train(_batch(), bn.init_bn(5))
    np.testing.assert_allclose(y.mean(0), 0.0, atol=1e-5, err_msg="batch mean of the output is not 0")
    np.testing.assert_allclose(y.var(0), 1.0, rtol=1e-3, err_msg="batch variance of the output is not 1")


def test_hand_written_backward_matches_jax_grad():
    z, g = _batch(), jax.random.normal(jax.random.key(1), (16, 5))
    params = {"gamma": jnp.linspace(0.5, 2.0, 5), "beta": jnp.arange(5.0)}
    loss = lambda z, p: jnp.sum(bn.bn_train(z, p)[0] * g)
    dz, dp = jax.grad(loss, argnums=(0, 1))(z, params)
    hand = bn.bn_backward(z, params, g)
    np.testing.assert_allclose(hand[0], dz, rtol=1e-4, atol=1e-6, err_msg="dL/dz of the paper's formula")
    np.testing.assert_allclose(hand[1], dp["gamma"], rtol=1e-5, atol=1e-6, err_msg="dL/dgamma")
    np.testing.assert_allclose(hand[2], dp["beta"], rtol=1e-5, atol=1e-6, err_msg="dL/dbeta")


def test_gradient_is_blind_to_shifting_and_rescaling_a_unit():
    """The batch statistics remove the directions that shift or rescale z: dL/dz is orthogonal to both."""
    z, g = _batch(), jax.random.normal(jax.random.key(1), (16, 5))
    dz = bn.bn_backward(z, bn.init_bn(5), g)[0]
    np.testing.assert_allclose(dz.sum(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(jnp.sum(dz * (z - z.mean(0)), 0), 0.0, atol=1e-4)


def test_running_averages_move_by_the_momentum_and_eval_matches_train_after_many_updates():
    z, params = _batch(), bn.init_bn(5)
    _, state = bn.bn_train(z, params, momentum=0.1)
    mu, var = bn.batch_stats(z)
    np.testing.assert_allclose(state["mean"], 0.1 * mu, rtol=1e-5)
    np.testing.assert_allclose(state["var"], 0.9 + 0.1 * var, rtol=1e-5)
    for _ in range(200):
        y_train, state = bn.bn_train(z, params, state)
    y_eval = bn.bn_eval(z, params, state)
    assert float(jnp.max(jnp.abs(y_eval - y_train))) < 1e-3, "eval mode should reproduce train mode on the same batch"


def test_eval_mode_treats_each_example_on_its_own():
    z, params = _batch(), bn.init_bn(5)
    state = {"mean": jnp.ones(5), "var": 4.0 * jnp.ones(5)}
    np.testing.assert_allclose(bn.bn_eval(z[:1], params, state), bn.bn_eval(z, params, state)[:1], rtol=1e-6)


def test_mlp_with_batch_norm_names_its_layers_and_is_invariant_to_the_weight_scale():
    spec = MLP(6, 8, 3, 4, activation="tanh", init="xavier", batch_norm=True)
    params = init_mlp(KEY, spec)
    assert [k for k in params if k.startswith("bn")] == ["bn_01", "bn_02", "bn_03"]
    assert set(params["bn_02"]) == {"gamma", "beta"} and params["bn_02"]["gamma"].shape == (8,)
    x, y = jax.random.normal(KEY, (32, 6)), jnp.arange(32) % 4
    scaled = {k: ({"W": 10.0 * v["W"], "b": v["b"]} if k.startswith("dense") else v) for k, v in params.items()}
    np.testing.assert_allclose(forward(spec, scaled, x), forward(spec, params, x), rtol=1e-2, atol=1e-3)
    np.testing.assert_allclose(
        backprop_signal(spec, scaled, x, y)[1:],
        backprop_signal(spec, params, x, y)[1:],
        rtol=1e-2,
        err_msg="batch norm makes the backprop signal at h_1.. independent of the hidden weights' scale",
    )


def test_mlp_eval_mode_matches_train_mode_after_running_averages_settle():
    spec = MLP(6, 8, 3, 4, activation="relu", batch_norm=True)
    params, x = init_mlp(KEY, spec), jax.random.normal(KEY, (32, 6))
    state = init_state(spec)
    step = jax.jit(lambda s: forward_with_state(spec, params, x, state=s)[2])
    for _ in range(150):
        state = step(state)
    logits_eval = forward(spec, params, x, state=state, train=False)
    np.testing.assert_allclose(logits_eval, forward(spec, params, x), rtol=1e-3, atol=1e-3)


def test_training_threads_the_state_and_returns_it_only_when_given():
    spec = MLP(6, 8, 2, 3, activation="tanh", batch_norm=True)
    params = init_mlp(KEY, spec)
    x, y = jax.random.normal(KEY, (40, 6)), jnp.arange(40) % 3
    batches = gf.minibatches((x, y), 5, 20, KEY)
    loss = lambda p, s, batch: gf.loss_and_state(spec, p, s, *batch)
    out = gf.train(loss, params, optax.sgd(0.1), batches, state=init_state(spec))
    assert len(out) == 3 and set(out[2]) == {"bn_01", "bn_02"}
    assert float(jnp.abs(out[2]["bn_01"]["mean"]).max()) > 0.0, "running means did not move"
    assert len(gf.train(lambda p, batch: gf.loss_fn(spec, p, *batch), params, optax.sgd(0.1), batches)) == 2


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: bn.bn_train(jnp.ones(5), bn.init_bn(5)), ValueError, r"shape \(batch, units\)"),
        (lambda: bn.bn_train(jnp.ones((1, 5)), bn.init_bn(5)), ValueError, "at least 2 rows"),
        (lambda: bn.bn_train(jnp.ones((4, 5)), bn.init_bn(3)), ValueError, r"gamma must have shape \(5,\)"),
        (lambda: bn.bn_train(jnp.ones((4, 5)), {"gamma": jnp.ones(5)}), TypeError, "keys 'gamma' and 'beta'"),
        (
            lambda: bn.bn_train(jnp.ones((4, 5)), bn.init_bn(5), momentum=1.5),
            ValueError,
            r"momentum must lie in \(0, 1\]",
        ),
        (lambda: bn.bn_eval(jnp.ones((4, 5)), bn.init_bn(5), {"mean": 0}), TypeError, "keys 'mean' and 'var'"),
        (lambda: bn.init_bn(0), ValueError, "units must be an integer >= 1"),
        (
            lambda: bn.bn_backward(jnp.ones((4, 5)), bn.init_bn(5), jnp.ones((4, 3))),
            ValueError,
            "g must have the shape",
        ),
        (
            lambda: forward(
                MLP(3, 4, 2, 2, batch_norm=True),
                init_mlp(KEY, MLP(3, 4, 2, 2, batch_norm=True)),
                jnp.ones((4, 3)),
                train=False,
            ),
            ValueError,
            "eval mode",
        ),
        (lambda: MLP(3, 4, 2, 2, batch_norm=1), TypeError, "batch_norm must be True or False"),
    ],
)
def test_bad_input_raises_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
