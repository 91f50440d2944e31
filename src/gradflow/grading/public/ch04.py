"""Public tests of the ch04 graded exercises.

Generated from exercises/masters/ch04_tests.py by ``python -m gradflow.grading generate``: do not edit.
"""

import jax
import jax.numpy as jnp
import numpy as np

from gradflow.grading.checks import Suite, answer, array, close, expect, function, number

suite = Suite(
    "ch04",
    {
        "q1": "GELU's derivative",
        "q2": "killing ReLU units with the bias",
        "q3": "explore saturation",
        "q4": "after training, still vanishing?",
    },
)
SLIDER = (0.25, 0.46, 0.84, 1.6, 2.9, 5.4, 10.0)


def _gelu_prime(x):
    return jax.vmap(jax.grad(lambda t: jax.nn.gelu(t, approximate=False)))(jnp.ravel(x)).reshape(jnp.shape(x))


# ---- q1 ---------------------------------------------------------------------------------------------


@suite.test("q1", points=1)
def q1_at_zero(ns):
    """gelu_derivative(0.0) is 1/2"""
    v = number(function(ns, "gelu_derivative")(jnp.float32(0.0)), "gelu_derivative(0.0)")
    expect(not close(v, 0.0, 0, 1e-6), "At 0 you returned GELU itself (0), not its derivative.")
    expect(close(v, 0.5, 1e-6), "Wrong at x = 0: there the derivative is Phi(0) + 0 * phi(0).")


@suite.test("q1", points=1)
def q1_elementwise(ns):
    """matches the derivative on an array between -3 and 3"""
    x = jnp.linspace(-3.0, 3.0, 7)
    v = array(function(ns, "gelu_derivative")(x), "gelu_derivative(x) for 7 values", shape=(7,))
    expect(
        not close(v, np.asarray(jax.scipy.stats.norm.cdf(x)), 1e-4),
        "You returned Phi(x) only: the product rule gives a second term, x phi(x).",
    )
    expect(
        close(v, _gelu_prime(x), 1e-5, 1e-6),
        "Right shape, wrong values away from 0: differentiate x Phi(x) with the product rule.",
    )


# ---- q2 ---------------------------------------------------------------------------------------------


@suite.test("q2", points=1)
def q2_is_a_fraction(ns):
    """dead_after_shift is a fraction between 0 and 1"""
    v = number(answer(ns, "dead_after_shift"), "dead_after_shift")
    expect(0.0 <= v <= 1.0, "A fraction of units lies between 0 and 1.")
    expect(v > 0.02, "Almost no unit is dead: did you subtract 1.5 from the biases (not add it)?")


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_on_slider(ns):
    """quarter_saturated_scale is one of the slider's values"""
    v = number(answer(ns, "quarter_saturated_scale"), "quarter_saturated_scale")
    expect(
        any(close(v, s, 1e-6) for s in SLIDER),
        f"quarter_saturated_scale should be one of the slider's values {list(SLIDER)}.",
    )


# ---- q4 ---------------------------------------------------------------------------------------------


@suite.test("q4", points=1)
def q4_below_one(ns):
    """both ratios are positive and below 1 (the first layer's gradients are the smaller)"""
    start = number(answer(ns, "ratio_start"), "ratio_start")
    after = number(answer(ns, "ratio_after"), "ratio_after")
    expect(start > 0 and after > 0, "A ratio of medians of absolute values is positive.")
    expect(start < 1 and after < 1, "Divide the first hidden layer's median by the sixth's, not the other way round.")
