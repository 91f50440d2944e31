"""Gradient descent on a quadratic converges iff 0 < lr < 2 / lambda_max."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradflow.training import descent

MATRICES = [jnp.diag(jnp.array([1.0, 10.0])), jnp.array([[3.0, 1.0], [1.0, 2.0]]), jnp.diag(jnp.array([0.5, 2.0, 8.0]))]


@pytest.mark.parametrize("a", MATRICES)
@pytest.mark.parametrize(("factor", "converges"), [(0.1, True), (0.5, True), (0.97, True), (1.03, False), (1.5, False)])
def test_converges_iff_lr_below_two_over_lambda_max(a, factor, converges):
    lr = factor * descent.critical_lr(a)
    w0 = jnp.ones(a.shape[0])
    start = float(descent.quadratic_loss(a, w0))
    end = float(descent.quadratic_loss(a, descent.gradient_descent(a, w0, lr, 600)[-1]))
    assert (end < 1e-3 * start) == converges, f"lr = {factor} x 2/lambda_max: loss {start:.3g} -> {end:.3g}"


def test_critical_lr_is_two_over_the_largest_eigenvalue():
    assert descent.critical_lr(MATRICES[0]) == pytest.approx(0.2)
    assert descent.critical_lr(MATRICES[1]) == pytest.approx(2 / ((5 + np.sqrt(5)) / 2), rel=1e-6)


def test_learning_rates_can_be_vmapped():
    a, w0 = MATRICES[0], jnp.array([1.0, 1.0])
    lrs = jnp.array([0.05, 0.1, 0.25])
    paths = jax.vmap(lambda lr: descent.gradient_descent(a, w0, lr, 50))(lrs)
    assert paths.shape == (3, 51, 2)
    np.testing.assert_allclose(paths[1], descent.gradient_descent(a, w0, 0.1, 50), rtol=1e-6)


def test_one_step_is_w_minus_lr_times_aw():
    a, w0 = MATRICES[1], jnp.array([1.0, -2.0])
    np.testing.assert_allclose(descent.gradient_descent(a, w0, 0.1, 1)[1], w0 - 0.1 * a @ w0, rtol=1e-6)


@pytest.mark.parametrize(
    ("a", "w0", "lr", "match"),
    [
        (jnp.ones((2, 3)), jnp.ones(2), 0.1, "square matrix"),
        (jnp.array([[1.0, 2.0], [0.0, 1.0]]), jnp.ones(2), 0.1, "symmetric positive definite"),
        (jnp.diag(jnp.array([1.0, -1.0])), jnp.ones(2), 0.1, "symmetric positive definite"),
        (MATRICES[0], jnp.ones(3), 0.1, "w0 must have shape"),
        (MATRICES[0], jnp.ones(2), float("nan"), "lr must be finite"),
    ],
)
def test_bad_input(a, w0, lr, match):
    with pytest.raises(ValueError, match=match):
        descent.gradient_descent(a, w0, lr, 10)


def test_verdict_puts_the_critical_rate_on_the_boundary():
    theta = np.pi / 6
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    a = jnp.asarray(rotation @ np.diag([1.0, 10.0]) @ rotation.T, jnp.float32)  # chapter 2's quadratic
    lr_crit = descent.critical_lr(a)
    assert lr_crit == pytest.approx(0.2, rel=1e-6)
    assert descent.verdict(0.2, lr_crit) == "boundary"
    assert descent.verdict(0.19, lr_crit) == "converges"
    assert descent.verdict(0.21, lr_crit) == "diverges"
