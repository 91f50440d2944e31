"""The jitted training loop and its per-step records."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gradflow import data
from gradflow.models.mlp import MLP, init_mlp, loss_fn
from gradflow.training.legacy import train

KEY = jax.random.key(0)


@pytest.fixture(scope="module")
def small():
    x, y = data.teacher_regression(KEY, 64, 5, 2)
    spec = MLP(5, 16, 2, 2, activation="tanh", init="xavier")
    return spec, init_mlp(KEY, spec), x, y


def test_records_have_one_row_per_step_and_layer(small):
    spec, params, x, y = small
    _, h = train(spec, params, x, y, optax.sgd(0.1), steps=7, loss="mse")
    assert h.loss.shape == (7,) and h.grad_norms.shape == (7, 3) and h.weight_norms.shape == (7, 3)
    assert h.update_ratios.shape == (7, 3) and h.weight_change.shape == (7, 3)
    assert float(h.weight_change[0].max()) == 0.0


def test_full_batch_sgd_matches_manual_updates(small):
    spec, params, x, y = small
    final, h = train(spec, params, x, y, optax.sgd(0.05), steps=3, loss="mse")
    p = params
    for _ in range(3):
        g = jax.grad(lambda q: loss_fn(spec, q, x, y, "mse"))(p)
        p = jax.tree.map(lambda a, b: a - 0.05 * b, p, g)
    np.testing.assert_allclose(final["output"]["W"], p["output"]["W"], rtol=1e-5, atol=1e-7)
    expected_ratio = (
        0.05 * jnp.linalg.norm(g["output"]["W"]) / jnp.linalg.norm(p["output"]["W"] + 0.05 * g["output"]["W"])
    )
    assert float(h.update_ratios[-1, -1]) == pytest.approx(float(expected_ratio), rel=1e-4)


def test_loss_decreases_with_minibatches(small):
    spec, params, x, y = small
    _, h = train(spec, params, x, y, optax.adam(1e-2), steps=200, key=KEY, batch_size=16, loss="mse")
    assert float(h.loss[-20:].mean()) < 0.3 * float(h.loss[:5].mean())


def test_bad_arguments(small):
    spec, params, x, y = small
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        train(spec, params, x, y, optax.sgd(0.1), steps=0)
    with pytest.raises(ValueError, match="batch_size must be at most"):
        train(spec, params, x, y, optax.sgd(0.1), steps=2, batch_size=1000)
    with pytest.raises(ValueError, match="same number of rows"):
        train(spec, params, x, y[:10], optax.sgd(0.1), steps=2)
    with pytest.raises(TypeError, match="optax.GradientTransformation"):
        train(spec, params, x, y, "adam", steps=2)


def test_record_false_keeps_the_same_loss_and_drops_the_rest():
    import jax
    import jax.numpy as jnp
    import optax

    from gradflow.models.mlp import MLP, init_mlp
    from gradflow.training.legacy import train

    spec = MLP(5, 8, 3, 3, activation="tanh", init="xavier")
    params = init_mlp(jax.random.key(0), spec)
    x, y = jax.random.normal(jax.random.key(1), (40, 5)), jnp.arange(40) % 3
    kw = dict(steps=6, key=jax.random.key(2), batch_size=16)
    full = train(spec, params, x, y, optax.sgd(0.1), **kw)[1]
    lean = train(spec, params, x, y, optax.sgd(0.1), record=False, **kw)[1]
    assert jnp.allclose(full.loss, lean.loss, rtol=1e-6), "record=False must not change the training itself"
    assert lean.grad_norms is None and lean.weight_change is None


def test_minibatches_are_drawn_without_replacement_from_the_step_keys():
    import jax
    import numpy as np

    from gradflow.training.legacy import _batch_indices

    key = jax.random.key(3)
    idx = np.asarray(_batch_indices(key, 50, 4, 10))
    loop = [np.asarray(jax.random.choice(k, 50, (10,), replace=False)) for k in jax.random.split(key, 4)]
    np.testing.assert_array_equal(idx, np.stack(loop))
    assert all(len(set(row)) == 10 for row in idx), "a minibatch repeated an example"


def test_losses_over_seeds_equals_training_each_seed_alone(small):
    from gradflow.models.mlp import init_stack
    from gradflow.training.legacy import losses_over_seeds

    spec, _, x, y = small
    keys = jax.random.split(KEY, 3)
    stacked = init_stack(keys, spec)
    got = losses_over_seeds(spec, stacked, x, y, optax.sgd(0.1), 5, jax.random.key(1), batch_size=16, loss="mse")
    assert got.shape == (3, 5), f"expected (seeds, steps) = (3, 5); got {got.shape}"
    for i, k in enumerate(keys):
        alone = train(spec, init_mlp(k, spec), x, y, optax.sgd(0.1), 5, jax.random.key(1), 16, "mse")[1].loss
        np.testing.assert_allclose(got[i], alone, rtol=1e-5, err_msg=f"seed {i} trained alone gives other losses")
