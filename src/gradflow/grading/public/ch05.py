"""Public tests of the ch05 graded exercises.

Generated from exercises/masters/ch05_tests.py by ``python -m gradflow.grading generate``: do not edit.
"""

import jax
import numpy as np

from gradflow.grading.checks import Suite, answer, array, close, expect, function, number

suite = Suite(
    "ch05",
    {
        "q1": "Xavier uniform by hand",
        "q2": "the factor per layer",
        "q3": "twenty LeCun layers",
        "q4": "explore tanh with He",
    },
)


def _weights(ns, key, shape) -> np.ndarray:
    w = function(ns, "xavier_uniform")(key, shape)
    return array(w, f"xavier_uniform(key, {shape})", shape=shape)


# ---- q1 ---------------------------------------------------------------------------------------------


@suite.test("q1", points=1)
def q1_shape_and_bound(ns):
    """returns the right shape, inside the bound sqrt(6/(n_in + n_out))"""
    w = _weights(ns, jax.random.key(0), (300, 200))
    a = np.sqrt(6 / 500)
    expect(
        np.abs(w).max() <= a * (1 + 1e-6),
        "Some weights lie outside the Xavier interval (-a, a): how does the variance of U(-a, a) depend on a?",
    )


# ---- q2 ---------------------------------------------------------------------------------------------


def _factor(ns, n_in, var_w, activation) -> float:
    return number(function(ns, "second_moment_factor")(n_in, var_w, activation), "second_moment_factor(...)")


@suite.test("q2", points=1)
def q2_linear(ns):
    """is right for a linear layer"""
    v = _factor(ns, 256, 1 / 256, "linear")
    expect(close(v, 1.0, 1e-9), "For a linear layer with Var(W) = 1/n_in the second moment is preserved.")
    expect(close(_factor(ns, 100, 0.03, "linear"), 3.0, 1e-9), "Each of the n_in terms adds Var(W) E[h²].")


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_small(ns):
    """lecun_ratio is a positive number far below one"""
    v = number(answer(ns, "lecun_ratio"), "lecun_ratio")
    expect(v > 0, "A ratio of second moments is positive.")
    expect(v < 1e-3, "With Var(W) = 1/n_in a ReLU layer halves the second moment: after 20 layers it is tiny.")


# ---- q4 ---------------------------------------------------------------------------------------------


@suite.test("q4", points=1)
def q4_number(ns):
    """tanh_he_ratio is a positive number"""
    v = number(answer(ns, "tanh_he_ratio"), "tanh_he_ratio")
    expect(v > 0, "A ratio of two norms is positive: read the right panel's title.")
