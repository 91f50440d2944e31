"""gf.sweep_rates and gf.best_rate: the fair-comparison plumbing, against plain loops and hand-made curves."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gradflow as gf


def _quadratic_run(rate, key):
    """Gradient descent on 0.5 * a * w^2 from a random start, 30 steps: its loss per step."""
    a = 3.0
    w0 = jax.random.normal(key, (2,))
    loss = lambda w, _: 0.5 * a * jnp.sum(w**2)
    return gf.train(loss, w0, optax.sgd(rate), jnp.zeros((30, 1)))[1]["loss"]


def test_sweep_rates_equals_one_run_at_a_time():
    rates, keys = [0.1, 0.5, 0.8], jax.random.split(jax.random.key(0), 3)
    swept = np.asarray(gf.sweep_rates(_quadratic_run, rates, keys))
    assert swept.shape == (3, 3, 30)
    for i, rate in enumerate(rates):
        for j in range(3):
            np.testing.assert_allclose(swept[i, j], _quadratic_run(rate, keys[j]), rtol=1e-6)


def test_sweep_rates_keeps_pytrees():
    out = gf.sweep_rates(
        lambda rate, key: {"r": rate, "x": jax.random.normal(key, (4,))},
        [1.0, 2.0],
        jax.random.split(jax.random.key(1), 5),
    )
    assert out["r"].shape == (2, 5) and out["x"].shape == (2, 5, 4)
    np.testing.assert_array_equal(out["r"][:, 0], [1.0, 2.0])


def test_best_rate_picks_the_lowest_median_and_counts_divergence():
    """On the quadratic (a = 3) rates above 2/3 diverge: the choice must avoid them and count every diverged run."""
    rates, keys = [0.1, 0.3, 0.6, 0.7, 1.0], jax.random.split(jax.random.key(2), 4)
    choice = gf.best_rate(gf.sweep_rates(_quadratic_run, rates, keys), rates, last=5)
    assert choice.best_rate == 0.3  # 1 - 0.3 * 3 = 0.1 contracts fastest of the stable rates (0.6 gives -0.8)
    np.testing.assert_array_equal(choice.diverged.sum(axis=1), [0, 0, 0, 4, 4])
    assert np.all(np.isinf(choice.final[3:])) and np.all(np.isfinite(choice.final[:3]))
    assert not choice.at_edge
    assert "lr 1: inf (4 of 4 diverged)" in choice.table() and "best lr 0.3" in choice.table()


def test_a_huge_finite_loss_is_diverged_and_nan_is_too():
    curves = np.full((2, 3, 25), 2.3)
    curves[0, 0, -20:] = 1.9e9  # finite, a billion times its start: the ch4 case
    curves[0, 1, -1] = np.nan
    curves[1, :, -20:] = 0.5
    choice = gf.best_rate(curves, [1.0, 0.1])
    np.testing.assert_array_equal(choice.diverged, [[True, True, False], [False, False, False]])
    assert choice.best_rate == 0.1 and choice.at_edge
    np.testing.assert_allclose(choice.best, [0.5, 0.5, 0.5])
    assert "(edge of the sweep)" in choice.table("net")


def test_a_sweep_where_every_rate_diverged_names_no_best_rate():
    curves = np.full((2, 2, 25), 2.3)
    curves[..., -20:] = np.nan
    table = gf.best_rate(curves, [0.1, 1.0]).table()
    assert "no best lr" in table and "best lr 0.1" not in table and "(2 of 2 diverged)" in table


def test_a_loss_that_merely_stays_at_chance_is_not_diverged():
    curves = np.log(10) + 1e-4 * np.random.default_rng(0).standard_normal((1, 4, 50))
    assert not gf.best_rate(curves, [0.1]).diverged.any()


@pytest.mark.parametrize(
    ("rates", "error"),
    [([], ValueError), ([0.1, -1.0], ValueError), ([0.1, float("nan")], ValueError), ([[0.1]], ValueError)],
)
def test_bad_rates_are_refused(rates, error):
    with pytest.raises(error, match="rates"):
        gf.best_rate(np.zeros((1, 1, 5)), rates)


def test_bad_curves_and_options_are_refused():
    with pytest.raises(ValueError, match=r"curves must be \(rates=2"):
        gf.best_rate(np.zeros((3, 2, 5)), [0.1, 0.2])
    with pytest.raises(ValueError, match="blowup"):
        gf.best_rate(np.zeros((1, 2, 5)), [0.1], blowup=1.0)
    with pytest.raises(TypeError, match="last"):
        gf.best_rate(np.zeros((1, 2, 5)), [0.1], last=2.5)
    with pytest.raises(TypeError, match="run"):
        gf.sweep_rates("train", [0.1], jax.random.split(jax.random.key(0), 2))
    with pytest.raises(ValueError, match="keys"):
        gf.sweep_rates(_quadratic_run, [0.1], jnp.zeros((0, 2), jnp.uint32))
    with pytest.raises(ValueError, match="keys"):
        gf.sweep_rates(lambda rate, p: rate * p["a"], [0.1], {"a": jnp.zeros(3), "b": jnp.zeros(2)})


def test_sweep_rates_over_stacked_parameters():
    """keys may be a pytree with a leading seeds axis: starts drawn outside, run(rate, params)."""
    starts = {"w": jnp.arange(3.0), "b": jnp.ones((3, 2))}
    swept = np.asarray(gf.sweep_rates(lambda rate, p: rate * (p["w"] + p["b"].sum()), [0.5, 2.0], starts))
    np.testing.assert_allclose(swept, np.array([[0.5], [2.0]]) * (np.arange(3.0) + 2.0))


def test_final_scores_are_judged_instead_of_the_last_losses():
    """final= (rates, seeds): the score judged, e.g. a held-out loss; the curves still give the divergence test."""
    curves = np.full((3, 2, 25), 2.0)
    curves[0, :, -20:] = 0.1  # the lowest training loss at rate 0.5 ...
    curves[2, 1, -1] = np.nan  # ... and a curve that ends NaN with a finite score: diverged all the same
    held_out = np.array([[1.5, 1.5], [0.3, 0.4], [0.2, 0.2]])  # ... but the lowest held-out score at rate 0.1
    held_out[1, 1] = 25.0  # more than 10 x its first loss (2.0): diverged
    choice = gf.best_rate(curves, [0.5, 0.1, 0.01], final=held_out)
    assert gf.best_rate(curves, [0.5, 0.1, 0.01]).best_rate == 0.5  # judged on the curves' last 20 steps
    np.testing.assert_array_equal(choice.diverged, [[False, False], [False, True], [False, True]])
    np.testing.assert_array_equal(choice.final, [[1.5, 1.5], [0.3, np.inf], [0.2, np.inf]])
    assert choice.best_rate == 0.5 and choice.at_edge  # the medians: 1.5, inf, inf
    held_out[1, 1] = 0.35
    assert gf.best_rate(curves, [0.5, 0.1, 0.01], final=held_out).best_rate == 0.1
    with pytest.raises(ValueError, match="one score per run"):
        gf.best_rate(curves, [0.5, 0.1, 0.01], final=held_out[:, :1])


def test_judge_runs_is_best_rates_judgement_for_any_runs():
    """judge_runs on the seeds of one setting (seeds, steps) gives what best_rate gives for a one-rate sweep."""
    curves = np.full((4, 30), 2.3)
    curves[0, -20:] = 0.5
    curves[1, -1] = np.inf
    curves[2, -20:] = 40.0  # finite, above 10 x its first loss
    final, diverged = gf.judge_runs(curves)
    np.testing.assert_array_equal(diverged, [False, True, True, False])
    np.testing.assert_allclose(final, [0.5, np.inf, np.inf, 2.3])
    one_rate = gf.best_rate(curves[None], [0.1])
    np.testing.assert_array_equal(final, one_rate.final[0])
    assert np.median(final) == one_rate.median[0]
    with pytest.raises(ValueError, match="curves"):
        gf.judge_runs(np.zeros((3, 0)))
