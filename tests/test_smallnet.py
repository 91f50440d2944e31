"""Backprop on the worked example: by hand, by jax.grad, by finite differences."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradflow.measure.gradcheck import central_difference, relative_error
from gradflow.models import worked_example as smallnet


def _flat(g):
    return np.array([float(g[n]) for n in smallnet.NAMES])


def test_hand_backprop_matches_jax_grad_in_float32():
    params, x, t = smallnet.example(jnp.float32)
    hand, auto = smallnet.backprop(params, x, t), jax.grad(smallnet.loss)(params, x, t)
    assert relative_error(_flat(hand), _flat(auto)) < 1e-5


def test_finite_differences_in_float64_match_to_1e6():
    with jax.enable_x64(True):
        params, x, t = smallnet.example(jnp.float64)
        auto = jax.grad(smallnet.loss)(params, x, t)
        fd = {
            n: central_difference(lambda w, n=n: smallnet.loss({**params, n: w}, x, t), params[n], 1e-5)
            for n in smallnet.NAMES
        }
        assert relative_error(_flat(fd), _flat(auto)) < 1e-6


def test_the_classic_worked_example_values():
    params, x, t = smallnet.example()
    assert float(smallnet.loss(params, x, t)) == pytest.approx(0.298371109, rel=1e-6)
    grads = smallnet.backprop(params, x, t)
    assert float(grads["w5"]) == pytest.approx(0.082167041, rel=1e-5)
    assert float(grads["w1"]) == pytest.approx(0.000438568, rel=1e-4)


def test_single_path_misses_the_second_output():
    params, x, t = smallnet.example()
    full, single = smallnet.backprop(params, x, t)["w1"], smallnet.single_path_dJ_dw1(params, x, t)
    assert abs(float(single - full)) / abs(float(full)) > 0.1
    # with w7 = 0 the path through O2 is cut, and the single path is the whole gradient
    cut = {**params, "w7": jnp.float32(0.0)}
    assert float(smallnet.single_path_dJ_dw1(cut, x, t)) == pytest.approx(
        float(smallnet.backprop(cut, x, t)["w1"]), rel=1e-6
    )


def test_bad_params_and_inputs():
    params, x, t = smallnet.example()
    with pytest.raises(ValueError, match="missing \\['w8'\\]"):
        smallnet.forward({k: v for k, v in params.items() if k != "w8"}, x)
    with pytest.raises(ValueError, match="x must have shape \\(2,\\)"):
        smallnet.forward(params, jnp.ones(3))
    with pytest.raises(TypeError, match="params must be a dict"):
        smallnet.loss([1, 2], x, t)
