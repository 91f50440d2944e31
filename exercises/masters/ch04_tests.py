"""Tests of the chapter 4 graded exercises (public and hidden).

Hidden tests (``hidden=True``) are removed from the public copy shipped to students; keep their reference values
inside the test functions so they are removed with them.
"""

import jax
import jax.numpy as jnp
import numpy as np

from gradflow.grading.checks import Suite, answer, array, close, expect, function, number, uses_none_of

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


@suite.test("q1", points=1, hidden=True)
def q1_peak(ns):
    """peaks at about 1.129 near sqrt(2) and matches autodiff on a 2-D array"""
    f = function(ns, "gelu_derivative")
    x = jax.random.uniform(jax.random.key(3), (3, 5), jnp.float32, -6.0, 6.0)
    v = array(f(x), "gelu_derivative(x) for x of shape (3, 5)", shape=(3, 5))
    expect(close(v, _gelu_prime(x), 1e-5, 1e-6), "Wrong values on a 2-D array: keep every operation elementwise.")
    expect(
        close(number(f(jnp.float32(np.sqrt(2.0))), "gelu_derivative(sqrt 2)"), 1.1289, 1e-3),
        "Wrong at x = sqrt(2), where the derivative peaks.",
    )


@suite.test("q1", points=1, hidden=True)
def q1_by_hand(ns):
    """is a closed form, not jax.grad or the library's gelu_prime"""
    f = function(ns, "gelu_derivative")
    expect(f(jnp.float32(0.0)) is not None, "Write the function first: it returns None.")
    uses_none_of(
        ns,
        "gelu_derivative",
        {"grad", "vjp", "jvp", "gelu_prime", "activations", "derivative"},
        "Write the closed form yourself.",
    )


# ---- q2 ---------------------------------------------------------------------------------------------


@suite.test("q2", points=1)
def q2_is_a_fraction(ns):
    """dead_after_shift is a fraction between 0 and 1"""
    v = number(answer(ns, "dead_after_shift"), "dead_after_shift")
    expect(0.0 <= v <= 1.0, "A fraction of units lies between 0 and 1.")
    expect(v > 0.02, "Almost no unit is dead: did you subtract 1.5 from the biases (not add it)?")


@suite.test("q2", points=2, hidden=True)
def q2_value(ns):
    """dead_after_shift has the right value (within 0.01)"""
    reference, on_batch, with_input, added = 0.12890625, 0.546875, 0.1125, 0.0390625
    v = number(answer(ns, "dead_after_shift"), "dead_after_shift")
    expect(
        not close(v, on_batch, 0, 0.01),
        "Dead means zero on every image of the data set: use all of x_all, not a batch.",
    )
    expect(not close(v, with_input, 0, 0.01), "Leave out the input h_0 (hs[0]): it is not a layer of units.")
    expect(not close(v, added, 0, 0.005), "You added 1.5 to the biases; subtract it.")
    expect(
        close(v, reference, 0, 0.01),
        "Not the expected fraction: shift only the hidden layers' biases, and average the 4 hidden layers' dead fractions.",
    )


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_on_slider(ns):
    """quarter_saturated_scale is one of the slider's values"""
    v = number(answer(ns, "quarter_saturated_scale"), "quarter_saturated_scale")
    expect(
        any(close(v, s, 1e-6) for s in SLIDER),
        f"quarter_saturated_scale should be one of the slider's values {list(SLIDER)}.",
    )


@suite.test("q3", points=1, hidden=True)
def q3_value(ns):
    """quarter_saturated_scale is the smallest scale with at least 25% saturated"""
    v = number(answer(ns, "quarter_saturated_scale"), "quarter_saturated_scale")
    expect(
        v >= 5.4 - 1e-6,
        "At that scale fewer than a quarter of the outputs are saturated: read the percentage in the title.",
    )
    expect(v <= 5.4 + 1e-6, "A smaller slider scale already saturates a quarter of the outputs.")


# ---- q4 ---------------------------------------------------------------------------------------------


@suite.test("q4", points=1)
def q4_below_one(ns):
    """both ratios are positive and below 1 (the first layer's gradients are the smaller)"""
    start = number(answer(ns, "ratio_start"), "ratio_start")
    after = number(answer(ns, "ratio_after"), "ratio_after")
    expect(start > 0 and after > 0, "A ratio of medians of absolute values is positive.")
    expect(start < 1 and after < 1, "Divide the first hidden layer's median by the sixth's, not the other way round.")


@suite.test("q4", points=2, hidden=True)
def q4_values(ns):
    """ratio_start and ratio_after have the right values (within 10%)"""
    reference_start, reference_after = 9.010e-4, 2.727e-3
    mean_start, batch_start = 1.219e-3, 1.146e-3
    start = number(answer(ns, "ratio_start"), "ratio_start")
    after = number(answer(ns, "ratio_after"), "ratio_after")
    expect(not close(start, mean_start, 0.05), "Use the median of the absolute gradients, not their mean.")
    expect(not close(start, batch_start, 0.05), "Take the gradient on all of x_all, not on a batch.")
    expect(
        close(start, reference_start, 0.1),
        "ratio_start is off: the gradient at the initial parameters, dense_01 over dense_06.",
    )
    expect(
        close(after, reference_after, 0.1),
        "ratio_after is off: train 300 steps at learning rate 0.3 on the given batches first.",
    )
