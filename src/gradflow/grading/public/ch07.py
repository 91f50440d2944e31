"""Public tests of the ch07 graded exercises.

Generated from exercises/masters/ch07_tests.py by ``python -m gradflow.grading generate``: do not edit.
"""

import jax
import jax.numpy as jnp

from gradflow.grading.checks import Suite, answer, array, close, expect, function, number

suite = Suite(
    "ch07",
    {
        "q1": "the Jacobian of a residual block",
        "q2": "how fast does an unscaled residual stream grow?",
        "q3": "explore depth, plain or residual",
    },
)
DEPTHS = (5, 20, 50)


def _case(seed, n=6):
    kh, kw = jax.random.split(jax.random.key(seed))
    return jax.random.normal(kh, (n,)), jax.random.normal(kw, (n, n)) / jnp.sqrt(n)


def _reference(h, W, alpha):
    return jax.jacobian(lambda v: v + alpha * (jax.nn.sigmoid(v) @ W + 0.3))(h)


def _jacobian(ns, h, W, alpha):
    out = function(ns, "block_jacobian")(h, W, alpha)
    return array(out, "block_jacobian(h, W, alpha)", shape=(h.shape[0], h.shape[0]))


# ---- q1 ---------------------------------------------------------------------------------------------


@suite.test("q1", points=1)
def q1_identity_when_alpha_zero(ns):
    """with alpha = 0 the block is the identity"""
    h, W = _case(0)
    expect(
        close(_jacobian(ns, h, W, 0.0), jnp.eye(6), 1e-6, 1e-7),
        "With alpha = 0 the block returns h itself: its Jacobian is the identity matrix.",
    )


@suite.test("q1", points=1)
def q1_value(ns):
    """matches jax.jacobian on a random block"""
    h, W = _case(1)
    J = _jacobian(ns, h, W, 0.5)
    expect(
        not close(J, _reference(h, W, 0.5).T, 1e-4, 1e-6),
        "Transposed: row i must hold the derivatives of output i (the layout of jax.jacobian).",
    )
    expect(
        not close(J, _reference(h, W, 0.5) - jnp.eye(6), 1e-4, 1e-6),
        "Missing the skip path: the block adds h itself, which contributes the identity.",
    )
    expect(
        close(J, _reference(h, W, 0.5), 1e-4, 1e-6),
        "Wrong values: the branch's Jacobian is alpha times W transposed times diag(sigmoid'(h)).",
    )


# ---- q2 ---------------------------------------------------------------------------------------------


@suite.test("q2", points=1)
def q2_grows(ns):
    """growth is a number above one"""
    g = number(answer(ns, "growth"), "growth")
    expect(
        g > 1,
        "The residual stream only accumulates: the ratio should be above 1. Divide layer 20's value by layer 1's.",
    )


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_on_slider(ns):
    """smallest_vanishing_depth is one of the slider's depths"""
    d = number(answer(ns, "smallest_vanishing_depth"), "smallest_vanishing_depth")
    expect(d in DEPTHS, f"smallest_vanishing_depth should be one of the slider's depths {list(DEPTHS)}.")
