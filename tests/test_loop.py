"""gradflow.train, minibatches and full_batch against plain Python loops of jax.grad steps; records by hand."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradflow as gf
from gradflow._fast import stack_params

KEY = jax.random.key(0)
MODEL = gf.MLP(3, 4, 2, 2, "tanh", "xavier")
X = jnp.asarray(np.random.default_rng(1).standard_normal((12, 3), np.float32))
Y = jnp.asarray(np.arange(12) % 2)
LR = 0.3
SGD = optax.sgd(LR)  # one optimizer object: train compiles once per (loss, optimizer, records)


def loss(params, batch):
    x, y = batch
    return MODEL.loss_of(MODEL.apply(params, x)[0], y)


@pytest.fixture(scope="module")
def params():
    return MODEL.init_params(KEY)


@jax.jit
def _sgd_by_hand(params, xs, ys):
    """Plain SGD, one jax.grad step per (x, y) of xs, ys: (parameters before each step, losses, gradients)."""
    seen, losses, grads = [], [], []
    for x, y in zip(xs, ys, strict=True):
        value, g = jax.value_and_grad(loss)(params, (x, y))
        seen.append(params)
        losses.append(value)
        grads.append(g)
        params = jax.tree.map(lambda p, d: p - LR * d, params, g)
    return params, seen, jnp.stack(losses), grads


def _allclose_trees(a, b, rtol=1e-5, atol=1e-7):
    for (path, u), v in zip(jax.tree_util.tree_leaves_with_path(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(u, v, rtol=rtol, atol=atol, err_msg=jax.tree_util.keystr(path))


def test_full_batch_sgd_equals_a_loop_of_jax_grad_steps(params):
    final, history = gf.train(loss, params, SGD, gf.full_batch((X, Y), 3))
    want, _, losses, _ = _sgd_by_hand(params, jnp.stack([X] * 3), jnp.stack([Y] * 3))
    _allclose_trees(final, want)
    assert list(history) == ["loss"] and history["loss"].shape == (3,)
    np.testing.assert_allclose(history["loss"], losses, rtol=1e-5)
    assert float(history["loss"][-1]) < float(history["loss"][0]), "three SGD steps should lower the loss"


def test_minibatch_sgd_trains_on_the_index_rows(params):
    batches = gf.minibatches((X, Y), 3, 5, jax.random.key(2))
    assert batches.index.shape == (3, 5)
    final, history = gf.train(loss, params, SGD, batches)
    want, _, losses, _ = _sgd_by_hand(params, X[batches.index], Y[batches.index])
    _allclose_trees(final, want)
    np.testing.assert_allclose(history["loss"], losses, rtol=1e-5)


def test_batches_with_a_leading_steps_axis_are_one_batch_per_step(params):
    rng = np.random.default_rng(3)
    xs = jnp.asarray(rng.standard_normal((3, 5, 3), np.float32))
    ys = jnp.asarray(rng.integers(0, 2, (3, 5)))
    final, history = gf.train(loss, params, SGD, (xs, ys))
    want, _, losses, _ = _sgd_by_hand(params, xs, ys)
    _allclose_trees(final, want)
    np.testing.assert_allclose(history["loss"], losses, rtol=1e-5)


def test_momentum_is_optaxs_trace_written_out(params):
    """optax.sgd(lr, momentum=m): v = g + m v, p = p - lr v."""
    final, _ = gf.train(loss, params, optax.sgd(LR, momentum=0.9), gf.full_batch((X, Y), 3))

    @jax.jit
    def by_hand(p):
        v = jax.tree.map(jnp.zeros_like, p)
        for _ in range(3):
            g = jax.grad(loss)(p, (X, Y))
            v = jax.tree.map(lambda v, g: g + 0.9 * v, v, g)
            p = jax.tree.map(lambda p, v: p - LR * v, p, v)
        return p

    _allclose_trees(final, by_hand(params))


def test_minibatches_without_replacement_have_distinct_rows_from_each_steps_key():
    key = jax.random.key(5)
    index = np.asarray(gf.minibatches((X, Y), 6, 12, key).index)
    assert index.shape == (6, 12)
    assert all(sorted(row) == list(range(12)) for row in index), "a batch of all 12 rows must hold each row once"
    small = np.asarray(gf.minibatches((X, Y), 6, 5, key).index)
    assert all(len(set(row)) == 5 for row in small), "a minibatch repeated a row"
    want = [np.asarray(jax.random.choice(k, 12, (5,), replace=False)) for k in jax.random.split(key, 6)]
    np.testing.assert_array_equal(small, want)
    assert len({tuple(row) for row in small}) > 1, "every step drew the same rows"


def test_minibatches_with_replacement_are_randint_per_split_key():
    key = jax.random.key(6)
    index = np.asarray(gf.minibatches((X, Y), 8, 12, key, replace=True).index)
    want = [np.asarray(jax.random.randint(k, (12,), 0, 12)) for k in jax.random.split(key, 8)]
    np.testing.assert_array_equal(index, want)
    assert any(len(set(row)) < 12 for row in index), "12 draws of 12 rows with replacement should repeat one"
    assert gf.minibatches((X, Y), 2, 20, key, replace=True).index.shape == (2, 20), "more rows than examples is fine"


def test_full_batch_index_is_empty_and_the_data_is_kept():
    batches = gf.full_batch((X, Y), 3)
    assert batches.index.shape == (3, 0) and batches.data[0] is X


def test_built_in_records_equal_their_definitions(params):
    """Each record is computed before the step's update, from that step's parameters and gradients."""
    names = ("loss", "grad_norm", "grad_norms", "weight_norms", "update_ratios", "weight_change")
    assert set(names) == set(gf.RECORDS)
    _, history = gf.train(loss, params, SGD, gf.full_batch((X, Y), 3), record=names)
    assert {k: v.shape for k, v in history.items()} == {
        "loss": (3,),
        "grad_norm": (3,),
        "grad_norms": (3, 3),
        "weight_norms": (3, 3),
        "update_ratios": (3, 3),
        "weight_change": (3, 3),
    }
    _, seen, losses, grads = _sgd_by_hand(params, jnp.stack([X] * 3), jnp.stack([Y] * 3))
    ws = lambda tree: [np.asarray(tree[n]["W"], np.float64) for n in MODEL.layer_names]
    w0 = ws(params)
    for t in range(3):
        w, g = ws(seen[t]), ws(grads[t])
        assert float(history["grad_norm"][t]) == pytest.approx(float(optax.tree.norm(grads[t])), rel=1e-5)
        np.testing.assert_allclose(history["grad_norms"][t], [np.linalg.norm(a) for a in g], rtol=1e-5)
        np.testing.assert_allclose(history["weight_norms"][t], [np.linalg.norm(a) for a in w], rtol=1e-5)
        want = [LR * np.linalg.norm(b) / np.linalg.norm(a) for a, b in zip(w, g, strict=True)]
        np.testing.assert_allclose(history["update_ratios"][t], want, rtol=1e-5)
        want = [np.linalg.norm(a - b) / np.linalg.norm(b) for a, b in zip(w, w0, strict=True)]
        np.testing.assert_allclose(history["weight_change"][t], want, rtol=1e-4, atol=1e-7)
    np.testing.assert_array_equal(history["weight_change"][0], 0.0)
    assert np.all(np.asarray(history["weight_change"][1:]) > 0)
    np.testing.assert_allclose(history["loss"], losses, rtol=1e-5)


def test_custom_records_see_the_step(params):
    record = {
        "bias": lambda s: s.params["output"]["b"],
        "start": lambda s: s.start["output"]["W"],
        "update": lambda s: s.updates["output"]["W"],
        "grad": lambda s: s.grads["output"]["W"],
        "loss_twice": lambda s: 2 * s.loss,
    }
    _, history = gf.train(loss, params, SGD, gf.full_batch((X, Y), 3), record=record)
    assert list(history) == list(record)
    _, seen, losses, grads = _sgd_by_hand(params, jnp.stack([X] * 3), jnp.stack([Y] * 3))
    np.testing.assert_allclose(history["bias"], [p["output"]["b"] for p in seen], rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(history["start"], np.broadcast_to(params["output"]["W"], (3, 4, 2)))
    np.testing.assert_allclose(history["grad"], [g["output"]["W"] for g in grads], rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(history["update"], -LR * np.asarray(history["grad"]), rtol=1e-6)
    np.testing.assert_allclose(history["loss_twice"], 2 * losses, rtol=1e-5)
    _, one = gf.train(loss, params, SGD, gf.full_batch((X, Y), 3), record="grad_norm")
    assert list(one) == ["grad_norm"], "a single record name may be a string"


def test_batch_norm_state_is_threaded_and_returned_third():
    model = gf.MLP(3, 4, 2, 2, "relu", batch_norm=True)
    params, state = model.init_params(KEY), gf.init_state(model)

    def bn_loss(params, state, batch):
        return gf.loss_and_state(model, params, state, *batch)

    batches = gf.minibatches((X, Y), 3, 6, jax.random.key(7))
    out = gf.train(bn_loss, params, SGD, batches, state=state)
    assert len(out) == 3, "with state= train returns (params, history, state)"
    final, history, new_state = out

    @jax.jit
    def by_hand(p, s):
        losses = []
        for idx in batches.index:
            (value, s), g = jax.value_and_grad(bn_loss, has_aux=True)(p, s, (X[idx], Y[idx]))
            losses.append(value)
            p = jax.tree.map(lambda a, b: a - LR * b, p, g)
        return p, jnp.stack(losses), s

    want_p, want_losses, want_state = by_hand(params, state)
    _allclose_trees(final, want_p)
    _allclose_trees(new_state, want_state)
    np.testing.assert_allclose(history["loss"], want_losses, rtol=1e-5)
    assert set(new_state) == {"bn_01", "bn_02"}
    for name in new_state:
        for stat in ("mean", "var"):
            assert not np.allclose(new_state[name][stat], state[name][stat]), f"{name}/{stat} did not move"


def test_vmap_over_stacked_seeds_equals_separate_runs():
    keys = jax.random.split(KEY, 3)
    draws = [MODEL.init_params(k) for k in keys]
    batches = gf.minibatches((X, Y), 4, 6, jax.random.key(8))
    opt = optax.adam(0.05)
    run = lambda p: gf.train(loss, p, opt, batches, record=("loss", "grad_norm"))
    finals, histories = jax.vmap(run)(stack_params(draws))
    assert histories["loss"].shape == (3, 4)
    for i, p in enumerate(draws):
        final, history = run(p)
        _allclose_trees(jax.tree.map(lambda a, i=i: np.asarray(a)[i], finals), final)
        for name in history:
            np.testing.assert_allclose(histories[name][i], history[name], rtol=1e-5, err_msg=f"seed {i}: {name}")
    assert not np.allclose(histories["loss"][0], histories["loss"][1]), "the seeds trained identically"


def test_bad_arguments_raise_clear_errors(params):
    batches = gf.full_batch((X, Y), 2)
    with pytest.raises(TypeError, match="loss must be a function"):
        gf.train("mse", params, SGD, batches)
    for optimizer in ("adam", optax.sgd, SGD.update):
        with pytest.raises(TypeError, match="optax.GradientTransformation"):
            gf.train(loss, params, optimizer, batches)
    with pytest.raises(ValueError, match="unknown records"):
        gf.train(loss, params, SGD, batches, record=("loss", "gradnorm"))
    with pytest.raises(TypeError, match="record must be names"):
        gf.train(loss, params, SGD, batches, record=None)
    with pytest.raises(TypeError, match="record functions must be callable"):
        gf.train(loss, params, SGD, batches, record={"lr": 0.1})
    with pytest.raises(ValueError, match=r"batches.index must be \(steps, batch\) integers"):
        gf.train(loss, params, SGD, gf.Batches((X, Y), jnp.zeros((2, 3))))
    with pytest.raises(ValueError, match="batches must be a Batches"):
        gf.train(loss, params, SGD, ())


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: gf.minibatches((X, Y), 0, 4, KEY), ValueError, "steps must be an integer >= 1"),
        (lambda: gf.minibatches((X, Y), 2.0, 4, KEY), TypeError, "steps must be an integer"),
        (lambda: gf.minibatches((X, Y), 2, 0, KEY), ValueError, "batch_size must be an integer >= 1"),
        (
            lambda: gf.minibatches((X, Y), 2, 13, KEY),
            ValueError,
            r"batch_size must be at most the number of examples \(12\)",
        ),
        (lambda: gf.minibatches((X, Y[:10]), 2, 4, KEY), ValueError, "same number of rows"),
        (lambda: gf.minibatches((X, Y), 2, 4, 0), TypeError, "PRNG key"),
        (lambda: gf.full_batch((X, Y), 0), ValueError, "steps must be an integer >= 1"),
        (lambda: gf.full_batch((X, Y[:10]), 2), ValueError, "same number of rows"),
    ],
)
def test_bad_batches_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
