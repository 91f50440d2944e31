"""Closed-form derivatives against jax.grad, and the derivative bounds the course states."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradflow.models import activations as act

X = jnp.linspace(-8.0, 8.0, 2001)


@pytest.mark.parametrize("name", sorted(act.ACTIVATIONS))
def test_closed_form_derivative_matches_autodiff(name):
    f, fprime = act.get(name), act.derivative(name)
    auto = jax.vmap(jax.grad(f))(X)
    np.testing.assert_allclose(fprime(X), auto, rtol=1e-5, atol=1e-6, err_msg=f"{name}' disagrees with jax.grad")


@pytest.mark.parametrize("name", sorted(act.ACTIVATIONS))
def test_derivative_stays_within_stated_bounds(name):
    lo, hi = act.DERIVATIVE_BOUNDS[name]
    values = np.asarray(act.derivative(name)(jnp.linspace(-20.0, 20.0, 20001)))
    assert values.min() >= lo - 1e-6 and values.max() <= hi + 1e-6


def test_sigmoid_derivative_peaks_at_a_quarter_at_zero():
    assert float(act.sigmoid_prime(0.0)) == pytest.approx(0.25, abs=1e-7)
    assert float(act.sigmoid_prime(X).max()) == pytest.approx(0.25, abs=1e-7)


def test_gelu_derivative_peak_is_above_one_at_sqrt2():
    grid = jnp.linspace(0.0, 3.0, 300001)
    values = act.gelu_prime(grid)
    i = int(jnp.argmax(values))
    assert float(values[i]) == pytest.approx(1.129, abs=1e-3)
    assert float(grid[i]) == pytest.approx(np.sqrt(2.0), abs=1e-3)


def test_relu_and_leaky_relu_derivatives_take_two_values():
    assert set(np.unique(act.relu_prime(X)).tolist()) == {0.0, 1.0}
    assert np.unique(act.leaky_relu_prime(X)).tolist() == pytest.approx([act.LEAKY_SLOPE, 1.0])


def test_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match="expected one of .*sigmoid"):
        act.get("sigmoidd")
    with pytest.raises(TypeError, match="activation must be a string"):
        act.derivative(3)
