"""Per-layer second moments and backprop signals over seeds (gradflow.measure.propagation)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradflow.measure import propagation as pr
from gradflow.measure.gradients import backprop_signal
from gradflow.models.mlp import MLP, forward, init_mlp, init_stack

KEY = jax.random.key(0)
SPEC = MLP(16, 24, 6, 3, activation="relu", init="gaussian_fan_in")
X = jax.random.normal(jax.random.key(1), (10, 16))
Y = jnp.arange(10) % 3


def test_second_moments_by_hand():
    params = init_mlp(KEY, SPEC)
    _, hs = forward(SPEC, params, X, return_activations=True)
    want = [float(jnp.mean(h**2)) for h in hs]
    np.testing.assert_allclose(np.asarray(pr.second_moments(SPEC, params, X)), want, rtol=1e-6)
    assert len(want) == SPEC.depth + 1


def test_second_moments_per_seed_is_second_moments_of_each_seed():
    keys = jax.random.split(KEY, 3)
    got = pr.second_moments_per_seed(SPEC, init_stack(keys, SPEC), X)
    assert got.shape == (3, SPEC.depth + 1), f"expected (seeds, depth + 1) = (3, 7); got {got.shape}"
    for i, k in enumerate(keys):
        alone = pr.second_moments(SPEC, init_mlp(k, SPEC), X)
        np.testing.assert_allclose(got[i], alone, rtol=1e-5, err_msg=f"seed {i}: the fast-compiled moments differ")


def test_layer_stats_signal_matches_gradients_module():
    params = init_mlp(KEY, SPEC)
    moments, signal = pr.layer_stats(SPEC, params, X, Y)
    np.testing.assert_allclose(np.asarray(signal), np.asarray(backprop_signal(SPEC, params, X, Y)), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(moments), np.asarray(pr.second_moments(SPEC, params, X)), rtol=1e-6)
    hs, deltas = pr.activations_and_signals(SPEC, params, X, Y)
    assert [h.shape for h in hs] == [d.shape for d in deltas] == [(10, n) for n in SPEC.sizes[:-1]]
    np.testing.assert_allclose([float(jnp.linalg.norm(d)) for d in deltas], np.asarray(signal), rtol=1e-5)


@pytest.mark.parametrize(
    "spec",
    [SPEC, MLP(16, 24, 1, 3, init="he"), MLP(16, 24, 4, 3, activation="tanh", init="orthogonal", batch_norm=True)],
    ids=["plain", "depth1", "batchnorm"],
)
def test_draw_gives_init_mlp_numbers(spec):
    keys = jax.random.split(KEY, 3)
    stacked = pr.draw(spec, keys)
    for i, k in enumerate(keys):
        ref = init_mlp(k, spec)
        assert set(ref) == set(stacked), "draw makes different layers than init_mlp"
        for name in ref:
            for leaf in ref[name]:
                np.testing.assert_allclose(
                    np.asarray(stacked[name][leaf][i]), np.asarray(ref[name][leaf]), rtol=1e-6, atol=1e-7
                )


def test_over_seeds_matches_a_python_loop_and_chunks_do_not_matter():
    keys = jax.random.split(KEY, 5)
    scales = [0.5, 1.0, 2.0]
    stats = pr.over_seeds(SPEC, keys, X, Y, scales, chunk=2)
    assert stats.moments.shape == stats.signal.shape == (5, 3, SPEC.depth + 1)
    for i, k in enumerate(keys):
        for j, s in enumerate(scales):
            m, g = pr.layer_stats(SPEC, init_mlp(k, SPEC, s), X, Y)
            np.testing.assert_allclose(np.asarray(stats.moments[i, j]), np.asarray(m), rtol=1e-4)
            np.testing.assert_allclose(np.asarray(stats.signal[i, j]), np.asarray(g), rtol=1e-4)
    again = pr.over_seeds(SPEC, keys, X, Y, scales, chunk=16)
    np.testing.assert_allclose(np.asarray(again.moments), np.asarray(stats.moments), rtol=1e-5)


def test_fraction_outside():
    assert pr.fraction_outside([1.0, 0.5, 20.0, 0.05], 10.0) == 0.5
    assert pr.fraction_outside([10.0, 0.1], 10.0) == 0.0, "the factor itself is inside"
    assert pr.fraction_outside([0.0, np.inf, np.nan, 1.0]) == 0.75, "0, inf and NaN count as outside"


def test_bad_input_raises():
    with pytest.raises(TypeError, match="spec must be a gradflow.models.mlp.MLP"):
        pr.second_moments("relu", {}, X)
    with pytest.raises(TypeError, match="typed PRNG keys"):
        pr.over_seeds(SPEC, jnp.zeros((3, 2), jnp.uint32), X, Y)
    with pytest.raises(ValueError, match="scales must be a non-empty 1-D"):
        pr.over_seeds(SPEC, jax.random.split(KEY, 2), X, Y, [])
    with pytest.raises(ValueError, match="scale must be >= 0"):
        pr.over_seeds(SPEC, jax.random.split(KEY, 2), X, Y, [-1.0])
    with pytest.raises(ValueError, match="unknown loss"):
        pr.layer_stats(SPEC, init_mlp(KEY, SPEC), X, Y, loss="hinge")
    with pytest.raises(ValueError, match="factor must be > 1"):
        pr.fraction_outside([1.0], 0.5)
    with pytest.raises(ValueError, match="must not be empty"):
        pr.fraction_outside([])
