"""Public tests of the ch01 graded exercises.

Generated from exercises/masters/ch01_tests.py by ``python -m gradflow.grading generate``: do not edit.
"""

import jax
import jax.numpy as jnp
import numpy as np

from gradflow.grading.checks import Suite, answer, array, close, expect, function, number

suite = Suite(
    "ch01",
    {
        "q1": "the sigmoid's derivative",
        "q2": "the first layer's share of the gradient",
        "q3": "explore depth",
        "q4": "a bound on the chain",
    },
)
DEPTHS = (1, 2, 4, 6, 8, 10, 15, 20)


def _sigmoid_prime(x):
    return jax.vmap(jax.grad(jax.nn.sigmoid))(jnp.ravel(x)).reshape(jnp.shape(x))


# ---- q1 ---------------------------------------------------------------------------------------------


@suite.test("q1", points=1)
def q1_quarter_at_zero(ns):
    """sigmoid_derivative(0.0) has the right value"""
    f = function(ns, "sigmoid_derivative")
    v = number(f(jnp.float32(0.0)), "sigmoid_derivative(0.0)")
    expect(not close(v, 0.5), "At 0 you returned the sigmoid itself, σ(0), not its derivative.")
    expect(
        close(v, 0.25, 1e-6),
        "Wrong at x = 0. Differentiate 1/(1 + e^(-x)) with the chain rule and evaluate it at 0 by hand to test your "
        "formula; the result can be written in terms of σ(x) itself.",
    )


@suite.test("q1", points=1)
def q1_elementwise(ns):
    """works elementwise on an array and matches the derivative between -3 and 3"""
    f = function(ns, "sigmoid_derivative")
    x = jnp.linspace(-3.0, 3.0, 7, dtype=jnp.float32)
    v = array(f(x), "sigmoid_derivative(x) for an array x of 7 values", shape=(7,))
    xs = np.asarray(x, float)
    expect(not close(v, xs * (1 - xs), 1e-4), "You applied the formula to x; it must be applied to σ(x), not to x.")
    expect(
        not close(v, -np.asarray(_sigmoid_prime(x)), 1e-4),
        "Your values have the wrong sign: σ is increasing, so σ' > 0.",
    )
    expect(
        close(v, _sigmoid_prime(x), 1e-5, 1e-7),
        "Right shape, wrong values away from x = 0: check your formula at x = 1 by hand.",
    )


# ---- q2 ---------------------------------------------------------------------------------------------


@suite.test("q2", points=1)
def q2_is_a_ratio(ns):
    """ratio_first_last is a single number between 0 and 1"""
    r = number(answer(ns, "ratio_first_last"), "ratio_first_last")
    expect(r > 0, "A ratio of two norms is positive.")
    expect(
        r < 1,
        "Your ratio is above 1: divide the first hidden layer's norm by the output layer's, not the other way round.",
    )


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_on_slider(ns):
    """smallest_depth is one of the slider's depths"""
    d = number(answer(ns, "smallest_depth"), "smallest_depth")
    expect(d in DEPTHS, f"smallest_depth should be one of the slider's depths {list(DEPTHS)}.")


# ---- q4 ---------------------------------------------------------------------------------------------


@suite.test("q4", points=1)
def q4_one_layer(ns):
    """sigmoid_chain_bound(1) is the largest value of one sigmoid derivative"""
    v = number(function(ns, "sigmoid_chain_bound")(1), "sigmoid_chain_bound(1)")
    expect(
        close(v, 0.25, 1e-9),
        "For one layer the bound is the largest value σ' takes; your function from q1 tells you where that is.",
    )
