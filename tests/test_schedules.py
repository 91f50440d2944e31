"""Tests of gradflow.training.schedules (hand-written warmup-cosine against optax) and gradflow.training.optimizers."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gradflow.training import optimizers, schedules


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


def test_values_evaluates_an_optax_schedule():
    table = np.asarray(schedules.values(optax.piecewise_constant_schedule(0.5, {150: 0.1, 225: 0.1}), 300))
    assert table.shape == (300,) and table.dtype == np.float32
    assert np.isclose(table[149], 0.5) and np.isclose(table[150], 0.05) and np.isclose(table[-1], 0.005)


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
