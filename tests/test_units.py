"""Dead and saturated unit fractions, from activations."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradflow.measure import units
from gradflow.models import activations as act
from gradflow.models.mlp import MLP, forward, init_mlp


def test_dead_fraction_counts_units_zero_on_every_example():
    h = jnp.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(units.dead_fraction(h), [0.5])  # units 0 and 3
    np.testing.assert_allclose(units.dead_fraction([h, jnp.ones((3, 2))]), [0.5, 0.0])
    assert units.dead_units(h)[0].tolist() == [True, False, False, True]
    np.testing.assert_allclose(units.dead_fraction(h + 1e-9, atol=1e-6), [0.5])


def test_negative_fraction_sees_leaky_units_in_their_negative_regime():
    h = jnp.array([[-0.01, 1.0], [-0.02, -0.5]])
    np.testing.assert_allclose(units.negative_fraction(h), [0.5])
    np.testing.assert_allclose(units.dead_fraction(h), [0.0], err_msg="a leaky unit is never exactly zero")


def test_relu_net_with_a_large_negative_bias_is_all_dead():
    spec = MLP(4, 16, 2, 3, activation="relu")
    params = init_mlp(jax.random.key(0), spec)
    params = {k: {"W": v["W"], "b": v["b"] - (100.0 if k != "output" else 0.0)} for k, v in params.items()}
    _, hs = forward(spec, params, jax.random.normal(jax.random.key(1), (32, 4)), return_activations=True)
    np.testing.assert_allclose(units.dead_fraction(hs[1:]), [1.0, 1.0], err_msg="every unit should be dead")


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "linear"])
def test_derivative_from_output_matches_the_closed_form(name):
    z = jnp.linspace(-4.0, 4.0, 81) + 0.013  # avoid z = 0 exactly for the ReLUs
    np.testing.assert_allclose(
        units.derivative_from_output(act.get(name)(z), name),
        act.derivative(name)(z),
        rtol=1e-5,
        atol=1e-6,
        err_msg=f"{name}' from the output disagrees with {name}'(z)",
    )


def test_saturated_fraction_thresholds_the_derivative():
    z = jnp.array([[-10.0, -3.0, 0.0, 3.0, 10.0]])
    np.testing.assert_allclose(units.saturated_fraction(jax.nn.sigmoid(z), "sigmoid"), [0.4])  # |z| = 10 only
    np.testing.assert_allclose(units.saturated_fraction(jnp.tanh(z), "tanh"), [0.8])  # |z| >= 3
    np.testing.assert_allclose(units.saturated_fraction(jax.nn.sigmoid(z), "sigmoid", threshold=0.5), [0.8])


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="batch, units"):
        units.dead_fraction(jnp.ones(3))
    with pytest.raises(ValueError, match="non-empty list"):
        units.dead_fraction([])
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        units.saturated_fraction(jnp.ones((2, 2)), "gelu")
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        units.saturated_fraction(jnp.ones((2, 2)), "sigmoid", threshold=1.5)
    with pytest.raises(ValueError, match="must be >= 0"):
        units.dead_fraction(jnp.ones((2, 2)), atol=-1.0)
