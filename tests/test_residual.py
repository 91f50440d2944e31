"""Residual MLPs: the block's equation and Jacobian, branch scaling, zero-initialized branches, bad specs."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradflow as gf
from gradflow.models import activations as act

KEY = jax.random.key(0)


def _normal(seed, shape):
    return jnp.asarray(np.random.default_rng(seed).standard_normal(shape, np.float32))


def test_each_block_adds_its_branch_to_the_stream():
    model = gf.MLP(5, 6, 3, 2, activation="tanh", init="xavier", residual=True, branch_scale=0.5)
    params = model.init_params(KEY)
    x = _normal(0, (4, 5))
    _, hs = jax.jit(model.apply)(params, x)
    np.testing.assert_allclose(hs[1], jnp.tanh(x @ params["dense_01"]["W"]), rtol=1e-6, err_msg="layer 1 stays plain")
    for layer in (2, 3):
        p = params[f"dense_{layer:02d}"]
        want = hs[layer - 1] + 0.5 * (jnp.tanh(hs[layer - 1]) @ p["W"] + p["b"])
        np.testing.assert_allclose(
            hs[layer], want, rtol=1e-5, err_msg=f"h_{layer} = h_{layer - 1} + alpha F(h_{layer - 1})"
        )


def test_block_jacobian_is_identity_plus_branch_jacobian():
    model = gf.MLP(6, 6, 2, 2, activation="tanh", init="xavier", residual=True, branch_scale=0.3)
    params = model.init_params(KEY)
    h = _normal(1, (6,))
    W = params["dense_02"]["W"]
    block = lambda h: h + 0.3 * (jnp.tanh(h) @ W + params["dense_02"]["b"])
    want = jnp.eye(6) + 0.3 * (act.tanh_prime(h)[:, None] * W).T  # d h_out / d h_in, rows = outputs
    np.testing.assert_allclose(jax.jit(jax.jacobian(block))(h), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_zero_branches_make_each_block_the_identity_and_keep_the_signal(batch_norm):
    model = gf.MLP(5, 8, 4, 3, activation="relu", residual=True, zero_branch=True, batch_norm=batch_norm)
    params = model.init_params(KEY)
    x = _normal(2, (16, 5))
    hs, signal = gf.hidden_and_signal(model, params, x, jnp.arange(16) % 3)
    for h in hs[2:]:
        np.testing.assert_allclose(h, hs[1], atol=1e-6, err_msg="a zero branch is not the identity")
    norms = [float(gf.norm(s)) for s in signal]
    np.testing.assert_allclose(norms[1:], norms[-1], rtol=1e-5, err_msg="identity blocks pass dL/dh unchanged")


def _second_moment_ratio(model, n_keys=6):
    """Median over seeds of E[h_L^2] / E[h_1^2] (the blocks' growth; layer 1 maps the input to the width)."""
    x = _normal(3, (128, model.in_dim))
    keys = jax.random.split(KEY, n_keys)
    moments = np.asarray(gf.over_seeds(lambda p: gf.second_moments(model, p, x), model, keys))
    return float(np.median(moments[:, -1] / moments[:, 1]))


def test_branch_scaling_bounds_the_forward_second_moment():
    depth = 17  # 16 blocks
    unscaled = _second_moment_ratio(gf.MLP(16, 32, depth, 2, residual=True))
    scaled = _second_moment_ratio(gf.MLP(16, 32, depth, 2, residual=True, branch_scale="inv_sqrt_depth"))
    # A He/ReLU branch adds alpha^2 E[relu(h)^2] * 2, between alpha^2 E[h^2] (h symmetric) and 2 alpha^2 E[h^2]
    # (h >= 0, as after layer 1): each block multiplies the second moment by 1 + alpha^2 .. 1 + 2 alpha^2, so
    # 16 blocks grow it by 2^16 .. 3^16 unscaled and by (1 + 1/16)^16 .. (1 + 2/16)^16, between e^0.97 and e^1.9.
    assert unscaled > 2.0**13, f"without scaling the second moment should grow like 2^16 or more; got {unscaled:.3g}"
    assert 1.5 < scaled < math.e**2, f"with alpha = 1/sqrt(L) it should stay between e and e^2; got {scaled:.3g}"


def test_branch_gain():
    assert gf.MLP(4, 8, 17, 2, residual=True, branch_scale="inv_sqrt_depth").branch_gain == pytest.approx(0.25)
    assert gf.MLP(4, 8, 3, 2, residual=True, branch_scale=0.2).branch_gain == pytest.approx(0.2)
    assert gf.MLP(4, 8, 3, 2).n_blocks == 0 and gf.MLP(4, 8, 3, 2, residual=True).n_blocks == 2


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"residual": True, "depth": 1}, ValueError, "residual MLP needs depth >= 2"),
        ({"branch_scale": 0.5}, ValueError, "only apply to residual nets"),
        ({"zero_branch": True}, ValueError, "only apply to residual nets"),
        ({"residual": True, "branch_scale": "sqrt"}, ValueError, "unknown branch_scale 'sqrt'"),
        ({"residual": True, "branch_scale": -1.0}, ValueError, "branch_scale must be > 0"),
        ({"residual": True, "branch_scale": float("nan")}, ValueError, "branch_scale must be finite"),
        ({"residual": "yes"}, TypeError, "residual must be True or False"),
    ],
)
def test_bad_residual_specs_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        gf.MLP(**{"in_dim": 4, "width": 8, "depth": 3, "out_dim": 2, **kwargs})
