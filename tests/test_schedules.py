"""Tests of gradflow.training.schedules (hand-written warmup-cosine against optax) and gradflow.training.optimizers."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gradflow.models.mlp import MLP, init_mlp
from gradflow.training import clipping, optimizers, schedules


@pytest.mark.parametrize(
    ("init", "peak", "warmup", "decay", "end"),
    [(0.0, 0.5, 30, 300, 0.0), (0.01, 1.0, 1, 50, 0.1), (0.0, 0.3, 0, 100, 0.0)],
)
def test_warmup_cosine_matches_optax(init, peak, warmup, decay, end):
    steps = jnp.arange(decay + 20)
    mine = schedules.warmup_cosine(steps, peak, warmup, decay, init=init, end=end)
    ref = jax.vmap(optax.warmup_cosine_decay_schedule(init, peak, warmup, decay, end))(steps)
    np.testing.assert_allclose(
        np.asarray(mine), np.asarray(ref), atol=1e-6, err_msg="differs from optax.warmup_cosine_decay_schedule"
    )


def test_warmup_cosine_landmarks():
    s = lambda t: float(schedules.warmup_cosine(t, 1.0, 10, 110))
    assert s(0) == 0.0 and np.isclose(s(5), 0.5) and np.isclose(s(10), 1.0), (
        "warmup should rise linearly from 0 to the peak"
    )
    assert np.isclose(s(60), 0.5, atol=1e-6), "half-way through the cosine the rate should be half the peak"
    assert np.isclose(s(110), 0.0, atol=1e-6) and np.isclose(s(500), 0.0, atol=1e-6), (
        "the rate should stay at end after decay_steps"
    )


def test_warmup_cosine_rejects_bad_steps():
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.warmup_cosine(0, 1.0, 10, 10)
    with pytest.raises(TypeError, match="warmup_steps"):
        schedules.warmup_cosine(0, 1.0, 1.5, 10)


def test_named_schedules_shapes():
    table = {k: np.asarray(schedules.values(s, 300)) for k, s in schedules.named(0.5, 300).items()}
    assert set(table) == {
        "constant",
        "step",
        "exponential",
        "cosine",
        "cosine restarts",
        "warmup + cosine",
        "one-cycle",
    }
    assert all(v.shape == (300,) and v.max() <= 0.5 + 1e-6 for v in table.values()), "every schedule peaks at 0.5"
    assert np.isclose(table["step"][149], 0.5) and np.isclose(table["step"][150], 0.05), (
        "step: divide by 10 at half-way"
    )
    assert table["warmup + cosine"][0] == 0.0 and table["one-cycle"].argmax() in range(85, 95), (
        "warmup/one-cycle should rise first"
    )
    restarts = np.flatnonzero(np.diff(table["cosine restarts"]) > 0.1)
    assert len(restarts) == 2, f"three cosine cycles need two restarts; found {len(restarts)}"


def test_adam_step_against_eps():
    for g, expected in ((1e-2, 1.0), (1e-6, 1e-6 / (1e-6 + 1e-8)), (1e-8, 0.5), (1e-10, 1e-10 / (1e-10 + 1e-8))):
        step = -float(optimizers.updates_for(optax.adam(1.0), jnp.full((100, 1), g))[-1, 0])
        assert np.isclose(step, expected, rtol=1e-2), (
            f"Adam's step at g = {g} should be g/(g + eps) = {expected}; got {step}"
        )


def test_adagrad_has_no_velocity_momentum_does():
    kicks = jnp.concatenate([jnp.ones((10, 1)), jnp.zeros((1, 1))])
    assert float(optimizers.updates_for(optax.adagrad(1.0), kicks)[-1, 0]) == 0.0, (
        "Adagrad must not move at a zero gradient"
    )
    assert float(-optimizers.updates_for(optax.sgd(1.0, momentum=0.9), kicks)[-1, 0]) > 1.0, "momentum keeps moving"


def test_side_by_side_matches_separate_runs():
    spec = MLP(4, 8, 2, 3, activation="tanh", init="xavier")
    params = init_mlp(jax.random.key(1), spec)
    x = jax.random.normal(jax.random.key(2), (40, 4))
    y = jnp.arange(40) % 3
    opts = (optax.sgd(0.1), optax.adam(1e-2))
    rec = optimizers.train_side_by_side(spec, params, x, y, opts, 5, jax.random.key(0), batch_size=40)
    assert rec.loss.shape == (2, 5) and rec.update_ratios.shape == (2, 5, 3) and rec.first_change.shape == (2, 5)
    assert np.isclose(float(rec.loss[0, 0]), float(rec.loss[1, 0])), (
        "both optimizers must start from the same params and batch"
    )
    # sgd_run draws the same minibatches from the same key: the SGD row must be plain SGD
    _, plain = clipping.sgd_run(spec, params, x, y, jnp.full(5, 0.1), key=jax.random.key(0), batch_size=40)
    np.testing.assert_allclose(
        np.asarray(rec.loss[0]), np.asarray(plain.loss), rtol=1e-5, err_msg="the SGD row is not plain SGD"
    )
    with pytest.raises(TypeError, match="optimizers"):
        optimizers.train_side_by_side(spec, params, x, y, (), 5)


def test_named_optimizers():
    opts = optimizers.named()
    assert list(opts) == ["SGD", "momentum", "Adagrad", "RMSProp", "Adam"]
    with pytest.raises(ValueError, match="lr_sgd"):
        optimizers.named(lr_sgd=-1.0)
