"""Public tests of the ch06 graded exercises.

Generated from exercises/masters/ch06_tests.py by ``python -m gradflow.grading generate``: do not edit.
"""

import jax
import jax.numpy as jnp
import numpy as np

from gradflow.grading.checks import Suite, answer, array, close, expect, function, number

suite = Suite(
    "ch06",
    {
        "q1": "batch normalization in train mode",
        "q2": "batch norm's own explosion",
        "q3": "explore depth with batch normalization",
    },
)
DEPTHS = (5, 10, 30)


def _reference(z, gamma, beta, eps=1e-5):
    z = np.asarray(z, np.float64)
    return np.asarray(gamma) * (z - z.mean(0)) / np.sqrt(z.var(0) + eps) + np.asarray(beta)


def _output(ns, z, gamma, beta, **kw):
    out = function(ns, "batch_norm_train")(z, gamma, beta, **kw)
    return array(out, "batch_norm_train(z, gamma, beta)", shape=z.shape)


# ---- q1 ---------------------------------------------------------------------------------------------


@suite.test("q1", points=1)
def q1_standardizes(ns):
    """with gamma = 1 and beta = 0 every unit has batch mean 0 and variance 1"""
    z = 3.0 * jax.random.normal(jax.random.key(1), (64, 8)) + 2.0
    out = _output(ns, z, jnp.ones(8), jnp.zeros(8))
    expect(
        np.abs(out.mean(0)).max() < 1e-4,
        "Each unit (column) should have batch mean 0: subtract the mean over the batch (axis 0), not over the units.",
    )
    expect(
        np.abs(out.var(0) - 1).max() < 1e-3,
        "Each unit should have batch variance 1: divide by the square root of the variance (plus eps), over axis 0.",
    )


@suite.test("q1", points=1)
def q1_gamma_beta(ns):
    """gamma scales and beta shifts each unit"""
    z = jax.random.normal(jax.random.key(2), (32, 4))
    gamma, beta = jnp.array([1.0, 2.0, 0.5, 3.0]), jnp.array([0.0, -1.0, 2.0, 0.5])
    out = _output(ns, z, gamma, beta)
    expect(close(out, _reference(z, gamma, beta), 1e-4, 1e-5), "Multiply the standardized z by gamma, then add beta.")


# ---- q2 ---------------------------------------------------------------------------------------------


@suite.test("q2", points=1)
def q2_is_growth(ns):
    """growth is a positive number above one"""
    g = number(answer(ns, "growth"), "growth")
    expect(g > 0, "growth should be a ratio of two norms, which is positive.")
    expect(
        g > 1, "Your ratio is below 1: divide the input's signal (first entry) by the last hidden layer's (last entry)."
    )


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_on_slider(ns):
    """smallest_exploding_depth is one of the slider's depths"""
    d = number(answer(ns, "smallest_exploding_depth"), "smallest_exploding_depth")
    expect(d in DEPTHS, f"smallest_exploding_depth should be one of the slider's depths {list(DEPTHS)}.")
