"""Recurrent cells against their equations, backprop through time, the adding problem."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradflow as gf
from gradflow.models import recurrent as R

KEY = jax.random.key(0)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _params(kind, in_dim=3, hidden=5, **kw):
    p = R.init_rnn(KEY, kind, in_dim, hidden, 2, **kw)
    # random biases too, so a bias bug cannot hide behind zeros
    b = jax.random.normal(jax.random.key(7), p["cell"]["b"].shape)
    return {**p, "cell": {**p["cell"], "b": b}}


def _np(cell):
    return {k: np.asarray(v, np.float64) for k, v in cell.items()}


X = np.asarray(jax.random.normal(jax.random.key(1), (4, 3)), np.float64)
H = np.asarray(jax.random.uniform(jax.random.key(2), (4, 5), minval=-1, maxval=1), np.float64)
C = np.asarray(jax.random.normal(jax.random.key(3), (4, 5)), np.float64)


def test_rnn_step_is_tanh_of_affine_map():
    cell = _params("rnn")["cell"]
    c = _np(cell)
    want = np.tanh(X @ c["W_x"] + H @ c["W_h"] + c["b"])
    got = R.rnn_step(cell, jnp.asarray(H, jnp.float32), jnp.asarray(X, jnp.float32))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg="rnn_step is not tanh(x W_x + h W_h + b)")


def test_lstm_step_follows_the_lstm_equations_gate_by_gate():
    cell = _params("lstm")["cell"]
    c = _np(cell)
    n = 5
    a = X @ c["W_x"] + H @ c["W_h"] + c["b"]
    i, f, g, o = _sigmoid(a[:, :n]), _sigmoid(a[:, n : 2 * n]), np.tanh(a[:, 2 * n : 3 * n]), _sigmoid(a[:, 3 * n :])
    c_new = f * C + i * g
    h_new = o * np.tanh(c_new)
    state = R.lstm_step(
        cell, R.LSTMState(jnp.asarray(H, jnp.float32), jnp.asarray(C, jnp.float32)), jnp.asarray(X, jnp.float32)
    )
    np.testing.assert_allclose(
        state.c, c_new, rtol=1e-5, atol=1e-6, err_msg="c_t != f*c_{t-1} + i*g (gate order i, f, g, o)"
    )
    np.testing.assert_allclose(state.h, h_new, rtol=1e-5, atol=1e-6, err_msg="h_t != o*tanh(c_t)")


def test_lstm_step_agrees_with_flax():
    nn = pytest.importorskip("flax.linen")
    cell = _params("lstm")["cell"]
    n = 5
    lstm = nn.LSTMCell(features=n)
    variables = lstm.init(KEY, (jnp.zeros((4, n)), jnp.zeros((4, n))), jnp.zeros((4, 3)))
    names = ("i", "f", "g", "o")
    flax_params = {}
    for k, name in enumerate(names):
        block = slice(k * n, (k + 1) * n)
        flax_params["i" + name] = {"kernel": cell["W_x"][:, block]}
        flax_params["h" + name] = {"kernel": cell["W_h"][:, block], "bias": cell["b"][block]}
    assert set(flax_params) == set(variables["params"]), "flax's LSTMCell parameter layout changed"
    h, c = jnp.asarray(H, jnp.float32), jnp.asarray(C, jnp.float32)
    (c_flax, h_flax), _ = lstm.apply({"params": flax_params}, (c, h), jnp.asarray(X, jnp.float32))
    ours = R.lstm_step(cell, R.LSTMState(h, c), jnp.asarray(X, jnp.float32))
    np.testing.assert_allclose(
        ours.c, c_flax, rtol=1e-5, atol=1e-6, err_msg="cell state differs from flax.linen.LSTMCell"
    )
    np.testing.assert_allclose(ours.h, h_flax, rtol=1e-5, atol=1e-6, err_msg="output differs from flax.linen.LSTMCell")


def test_gru_step_follows_cho_et_al():
    cell = _params("gru")["cell"]
    c = _np(cell)
    n = 5
    ax = X @ c["W_x"] + c["b"]
    z = _sigmoid(ax[:, :n] + H @ c["W_h"][:, :n])
    r = _sigmoid(ax[:, n : 2 * n] + H @ c["W_h"][:, n : 2 * n])
    cand = np.tanh(ax[:, 2 * n :] + (r * H) @ c["W_h"][:, 2 * n :])
    want = z * H + (1 - z) * cand
    got = R.gru_step(cell, jnp.asarray(H, jnp.float32), jnp.asarray(X, jnp.float32))
    np.testing.assert_allclose(
        got, want, rtol=1e-5, atol=1e-6, err_msg="gru_step is not z*h + (1-z)*tanh(x W + (r*h) U)"
    )


def test_gru_reset_after_agrees_with_flax_and_differs_from_cho():
    """gradflow's default GRU is Cho et al.'s (reset before W_hn); reset_after=True is flax's / PyTorch's."""
    nn = pytest.importorskip("flax.linen")
    n = 5
    cell = dict(_params("gru")["cell"])
    cell["b"] = jax.random.normal(jax.random.key(7), cell["b"].shape)
    cell["b_hn"] = jax.random.normal(jax.random.key(8), (n,))
    gru = nn.GRUCell(features=n)
    variables = gru.init(KEY, jnp.zeros((4, n)), jnp.zeros((4, 3)))
    flax_params = {}
    for k, name in enumerate(("z", "r", "n")):
        block = slice(k * n, (k + 1) * n)
        flax_params["i" + name] = {"kernel": cell["W_x"][:, block], "bias": cell["b"][block]}
        flax_params["h" + name] = {"kernel": cell["W_h"][:, block]}
    flax_params["hn"]["bias"] = cell["b_hn"]
    assert jax.tree.structure(flax_params) == jax.tree.structure(variables["params"]), "flax's GRUCell layout changed"
    h, x = jnp.asarray(H, jnp.float32), jnp.asarray(X, jnp.float32)
    h_flax, _ = gru.apply({"params": flax_params}, h, x)
    after = R.gru_step(cell, h, x, reset_after=True)
    np.testing.assert_allclose(after, h_flax, rtol=1e-5, atol=1e-6, err_msg="reset_after differs from flax GRUCell")
    before = R.gru_step(cell, h, x)
    assert float(jnp.abs(before - after).max()) > 1e-2, "the two GRU variants should differ with these weights"
    model = gf.RNN("gru", 3, n, reset_after=True)
    params = model.init_params(KEY)
    assert params["cell"]["b_hn"].shape == (n,)
    xs = jax.random.normal(jax.random.key(4), (6, 4, 3))
    _, hs = model.apply(params, xs)
    h = jnp.zeros((4, n))
    for t in range(6):
        h = R.gru_step(params["cell"], h, xs[t], reset_after=True)
    np.testing.assert_allclose(hs[-1], h, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="GRU only"):
        gf.RNN("lstm", 3, n, reset_after=True)


@pytest.mark.parametrize("kind", R.KINDS)
def test_run_scans_the_step_and_zero_probes_change_nothing(kind):
    params = _params(kind)
    xs = jax.random.normal(jax.random.key(4), (6, 4, 3))
    hs = R.run(kind, params, xs)
    assert hs.shape == (6, 4, 5)
    h = jnp.zeros((4, 5))
    state = R.LSTMState(h, h)
    for t in range(6):  # the same recursion as a Python loop
        if kind == "lstm":
            state = R.lstm_step(params["cell"], state, xs[t])
            h = state.h
        else:
            h = (R.rnn_step if kind == "rnn" else R.gru_step)(params["cell"], h, xs[t])
        np.testing.assert_allclose(
            hs[t], h, rtol=1e-5, atol=1e-6, err_msg=f"{kind}: run differs from stepping at t={t}"
        )
    np.testing.assert_array_equal(R.run(kind, params, xs, probes=jnp.zeros_like(hs)), hs)


def test_lstm_run_returns_cell_states():
    params = _params("lstm")
    xs = jax.random.normal(jax.random.key(4), (6, 4, 3))
    hs, cs = R.run("lstm", params, xs, return_cells=True)
    assert cs.shape == hs.shape and not np.allclose(cs, hs)


def test_init_sets_sigma_max_and_forget_bias():
    p = R.init_rnn(KEY, "rnn", 3, 16, 1, recurrent_scale=0.7)
    s = np.linalg.svd(np.asarray(p["cell"]["W_h"]), compute_uv=False)
    np.testing.assert_allclose(s, 0.7, rtol=1e-5, err_msg="W_hh should be 0.7 times an orthogonal matrix")
    lstm = R.init_rnn(KEY, "lstm", 3, 8, 1, forget_bias=1.0)
    b = np.asarray(lstm["cell"]["b"])
    assert np.all(b[8:16] == 1.0) and np.all(b[:8] == 0) and np.all(b[16:] == 0), "only the forget gate gets bias 1"
    assert lstm["cell"]["W_h"].shape == (8, 32) and lstm["cell"]["W_x"].shape == (3, 32)
    scaled = R.scale_recurrent(R.init_rnn(KEY, "gru", 3, 8, 1), 1.5)
    for k in range(3):
        top = np.linalg.svd(np.asarray(scaled["cell"]["W_h"][:, k * 8 : (k + 1) * 8]), compute_uv=False)[0]
        assert top == pytest.approx(1.5, rel=1e-5), f"GRU block {k}: sigma_max {top}, expected 1.5"


def test_backprop_signal_is_a_product_of_step_jacobians():
    """dL/dh_t = J_{t+1}^T ... J_T^T dL/dh_T with J_k = dh_k/dh_{k-1}: compare with gf.backprop_signal."""
    kind, T = "rnn", 7
    params = _params(kind, hidden=4)
    params = {**params, "out": {**params["out"], "W": params["out"]["W"][:, :1], "b": params["out"]["b"][:1]}}
    xs = jax.random.normal(jax.random.key(5), (T, 1, 3))
    ys = jnp.ones((1, 1))
    hs = R.run(kind, params, xs)
    g = jax.grad(lambda h: jnp.mean((h @ params["out"]["W"] + params["out"]["b"] - ys) ** 2))(hs[-1])[0]
    want = [float(jnp.linalg.norm(g))]
    for t in range(T - 1, 0, -1):  # h_t (index t) -> h_{t-1} (index t-1)
        jac = jax.jacobian(lambda h, t=t: R.rnn_step(params["cell"], h[None], xs[t])[0])(hs[t - 1, 0])
        g = jac.T @ g
        want.append(float(jnp.linalg.norm(g)))
    got = gf.backprop_signal(gf.RNN(kind, 3, 4), params, xs, ys)
    np.testing.assert_allclose(got, want[::-1], rtol=1e-4, err_msg="backprop signal != product of step Jacobians")


@pytest.mark.parametrize("scale", [0.5, 0.9])
def test_pascanu_bound_sigma_max_below_one_vanishes_at_least_geometrically(scale):
    p = R.init_rnn(KEY, "rnn", 2, 16, 1, recurrent_scale=scale)
    xs, ys = R.adding_problem(0, 8, 40)
    signal = np.asarray(gf.backprop_signal(gf.RNN("rnn", 2, 16), p, xs, ys))
    k = np.arange(len(signal))[::-1]  # T - t
    bound = signal[-1] * scale**k
    assert np.all(signal <= bound * (1 + 1e-4)), "||dL/dh_t|| exceeded sigma_max^(T-t) ||dL/dh_T||"


def test_lstm_direct_cell_path_is_diag_f():
    cell = _params("lstm")["cell"]
    x, h, c = (jnp.asarray(a[:1, :], jnp.float32) for a in (X, H, C))
    jac = jax.jacobian(lambda c: R.lstm_step(cell, R.LSTMState(h, c[None]), x).c[0])(c[0])
    _, f, _, _ = R.lstm_gates(cell, h, x)
    np.testing.assert_allclose(jac, np.diag(np.asarray(f[0])), atol=1e-7, err_msg="dc_t/dc_{t-1} (h fixed) != diag(f)")


def test_adding_problem_layout():
    xs, ys = R.adding_problem(3, 200, 30)
    assert xs.shape == (40, 200, 2) and ys.shape == (200, 1)
    markers = np.asarray(xs[..., 1])
    assert np.all(markers.sum(0) == 2), "each sequence has exactly two markers"
    first = markers.argmax(0)
    second = len(markers) - 1 - markers[::-1].argmax(0)
    assert first.max() < 10 and second.min() >= 30, "markers must fall in the first and last 10 steps"
    np.testing.assert_allclose(ys[:, 0], (xs[..., 0] * xs[..., 1]).sum(0), rtol=1e-6)
    np.testing.assert_array_equal(R.adding_problem(3, 200, 30)[0], xs)  # deterministic
    _, many = R.adding_problem(1, 5000, 10)
    assert float(jnp.mean((many - 1.0) ** 2)) == pytest.approx(R.ADDING_BASELINE_MSE, rel=0.05)
    xb, yb = R.adding_problem(0, 8, 12, batches=3)
    assert xb.shape == (3, 22, 8, 2) and yb.shape == (3, 8, 1)


def test_longer_sequences_keep_the_lag():
    xs, _ = R.adding_problem(3, 300, 20, length=60)
    markers = np.asarray(xs[..., 1])
    first = markers.argmax(0)
    second = len(markers) - 1 - markers[::-1].argmax(0)
    assert xs.shape == (60, 300, 2)
    assert first.min() >= 30 and first.max() < 40, (
        "first marker must lie in the window ending `lag` steps before the end"
    )
    assert second.min() >= 50, "second marker must lie in the last window"


def test_gf_train_learns_a_short_lag_under_vmap_over_seeds():
    """The chapter's recipe: gf.train with a visible optax optimizer, vmapped over seeds, on fresh batches per step."""
    model = gf.RNN("gru", 2, 8)
    loss = lambda params, batch: model.loss_of(model.apply(params, batch[0])[0], batch[1])
    optimizer = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(1e-2))
    starts = gf.stack_params([model.init_params(jax.random.key(s)) for s in range(2)])
    streams = [R.adding_problem(gf.seeds.rng(10, s), 16, 10, batches=150) for s in range(2)]
    data = jax.tree.map(lambda *a: jnp.stack(a), *streams)
    params, history = jax.vmap(lambda p, d: gf.train(loss, p, optimizer, d))(starts, data)
    assert history["loss"].shape == (2, 150) and params["cell"]["W_h"].shape == (2, 8, 24)
    assert np.all(np.isfinite(history["loss"]))
    test = R.adding_problem(99, 200, 10)
    test_mse = jax.vmap(lambda p: loss(p, test))(params)
    assert float(test_mse.max()) < 0.5 * R.ADDING_BASELINE_MSE, "a GRU should beat the baseline at lag 10"


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="kind"):
        R.init_rnn(KEY, "transformer", 2, 4, 1)
    with pytest.raises(TypeError, match="hidden"):
        R.init_rnn(KEY, "rnn", 2, 4.0, 1)
    params = R.init_rnn(KEY, "rnn", 2, 4, 1)
    with pytest.raises(ValueError, match=r"\(T, batch, in_dim\)"):
        R.run("rnn", params, jnp.zeros((5, 2)))
    with pytest.raises(ValueError, match="input features"):
        R.run("rnn", params, jnp.zeros((5, 3, 7)))
    with pytest.raises(ValueError, match="lag"):
        R.adding_problem(0, 4, 5)
