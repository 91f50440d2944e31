"""Tests of the chapter 7 graded exercises (public and hidden).

Hidden tests (``hidden=True``) are removed from the public copy shipped to students; keep their reference values
inside the test functions so they are removed with them.
"""

import jax
import jax.numpy as jnp

from gradflow.grading.checks import Suite, answer, array, close, expect, function, number, uses_none_of

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


@suite.test("q1", points=2, hidden=True)
def q1_other_sizes(ns):
    """right for other sizes, alphas and inputs far from zero"""
    for seed, n, alpha in [(2, 3, 1.0), (3, 10, 0.1)]:
        h, W = _case(seed, n)
        h = 4.0 * h
        expect(
            close(_jacobian(ns, h, W, alpha), _reference(h, W, alpha), 1e-4, 1e-6),
            "Right on the first example but not in general: use sigmoid'(h) = s(1 - s) at h, and multiply by alpha.",
        )


@suite.test("q1", points=1, hidden=True)
def q1_by_hand(ns):
    """is a working closed form that does not call jax's differentiation"""
    _jacobian(ns, *_case(4), 0.5)  # fails on a blank or broken function
    uses_none_of(
        ns,
        "block_jacobian",
        {"jacobian", "grad", "jacfwd", "jacrev", "vjp", "jvp"},
        "Write the closed form; do not differentiate with jax.",
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


@suite.test("q2", points=2, hidden=True)
def q2_value(ns):
    """growth is right within 5%"""
    g = number(answer(ns, "growth"), "growth")
    reference, scaled = 914304.06, 6.0420895
    expect(not close(g, scaled, 0.05), "Your network scales its branches: build it without branch_scale.")
    expect(
        close(g, reference, 0.05),
        "Not the expected ratio: use hs[1] (first hidden layer), hs[-1] (last), and the mean of the squares.",
    )


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_on_slider(ns):
    """smallest_vanishing_depth is one of the slider's depths"""
    d = number(answer(ns, "smallest_vanishing_depth"), "smallest_vanishing_depth")
    expect(d in DEPTHS, f"smallest_vanishing_depth should be one of the slider's depths {list(DEPTHS)}.")


@suite.test("q3", points=1, hidden=True)
def q3_value(ns):
    """smallest_vanishing_depth is the first plain depth with a ratio below 1e-10"""
    d = number(answer(ns, "smallest_vanishing_depth"), "smallest_vanishing_depth")
    expect(d >= 20, "At that depth the ratio is still above 1e-10: read the title with the network set to plain.")
    expect(d <= 20, "At a smaller depth the ratio is already below 1e-10: move the slider down one step at a time.")
