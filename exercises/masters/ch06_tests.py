"""Tests of the chapter 6 graded exercises (public and hidden).

Hidden tests (``hidden=True``) are removed from the public copy shipped to students; keep their reference values
inside the test functions so they are removed with them.
"""

import jax
import jax.numpy as jnp
import numpy as np

from gradflow.grading.checks import Suite, answer, array, close, expect, function, number, uses_none_of

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


@suite.test("q1", points=2, hidden=True)
def q1_matches_equations(ns):
    """matches the equations on a batch with different scales per unit, eps included"""
    z = jax.random.normal(jax.random.key(3), (16, 6)) * jnp.array([0.01, 0.1, 1, 10, 100, 3]) + 5.0
    gamma, beta = jnp.linspace(0.5, 2.0, 6), jnp.arange(6.0)
    out = _output(ns, z, gamma, beta)
    unbiased = np.asarray(gamma) * (np.asarray(z) - np.asarray(z).mean(0)) / np.sqrt(
        np.asarray(z).var(0, ddof=1) + 1e-5
    ) + np.asarray(beta)
    expect(
        not close(out, unbiased, 1e-4, 1e-5),
        "Use the biased batch variance (divide by n, not n - 1), as in train mode.",
    )
    expect(
        close(out, _reference(z, gamma, beta), 1e-3, 1e-4),
        "Wrong on units with very small or large spread: is eps inside the square root?",
    )
    out2 = array(
        function(ns, "batch_norm_train")(z, gamma, beta, eps=1.0), "batch_norm_train(..., eps=1.0)", shape=z.shape
    )
    expect(
        close(out2, _reference(z, gamma, beta, 1.0), 1e-3, 1e-4),
        "Use the eps argument you are given, not a fixed number.",
    )


@suite.test("q1", points=1, hidden=True)
def q1_by_hand(ns):
    """is a working normalization that does not call gradflow.models.batchnorm"""
    z = jax.random.normal(jax.random.key(4), (8, 3))
    _output(ns, z, jnp.ones(3), jnp.zeros(3))  # fails on a blank or broken function
    uses_none_of(
        ns,
        "batch_norm_train",
        {"bn_train", "batchnorm", "normalize", "bn"},
        "Write the normalization yourself (mean, variance, scale, shift); do not call gradflow.models.batchnorm.",
    )


# ---- q2 ---------------------------------------------------------------------------------------------


@suite.test("q2", points=1)
def q2_is_growth(ns):
    """growth is a positive number above one"""
    g = number(answer(ns, "growth"), "growth")
    expect(g > 0, "growth should be a ratio of two norms, which is positive.")
    expect(
        g > 1, "Your ratio is below 1: divide the input's signal (first entry) by the last hidden layer's (last entry)."
    )


@suite.test("q2", points=2, hidden=True)
def q2_value(ns):
    """growth is the chapter network's input/last ratio within 5%"""
    g = number(answer(ns, "growth"), "growth")
    reference, from_first_hidden, without_bn = 33.494576, 40.553921, 1.2576214
    expect(
        not close(g, from_first_hidden, 0.02), "Use the signal at the input (layer 0), not at the first hidden layer."
    )
    expect(not close(g, without_bn, 0.05), "Your network has no batch normalization: pass batch_norm=True.")
    expect(
        close(g, reference, 0.05),
        "Not the expected ratio: build the network and parameters exactly as stated, on the batch xb, yb.",
    )


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_on_slider(ns):
    """smallest_exploding_depth is one of the slider's depths"""
    d = number(answer(ns, "smallest_exploding_depth"), "smallest_exploding_depth")
    expect(d in DEPTHS, f"smallest_exploding_depth should be one of the slider's depths {list(DEPTHS)}.")


@suite.test("q3", points=1, hidden=True)
def q3_value(ns):
    """smallest_exploding_depth is the first depth with a ratio above 10, batch norm on"""
    d = number(answer(ns, "smallest_exploding_depth"), "smallest_exploding_depth")
    expect(d >= 30, "At that depth the ratio is still below 10: read the title with batch norm set to on.")
    expect(d <= 30, "At a smaller depth the ratio is already above 10: move the slider down one step at a time.")
