"""Public tests of the ch03 graded exercises.

Generated from exercises/masters/ch03_tests.py by ``python -m gradflow.grading generate``: do not edit.
"""

import jax.numpy as jnp
import numpy as np

from gradflow.grading.checks import Suite, answer, array, close, expect, function, number

suite = Suite(
    "ch03",
    {
        "q1": "backprop through a linear chain",
        "q2": "how much does a ReLU net at s = 1 lose?",
        "q3": "explore the critical scale of tanh",
    },
)
SLIDER = (0.5, 0.71, 1.0, 1.19, 1.41, 2.0)


# ---- q1 ---------------------------------------------------------------------------------------------


@suite.test("q1", points=1)
def q1_shape_and_last_row(ns):
    """returns shape (L + 1, n) with delta_L as its last row"""
    f = function(ns, "backprop_through")
    ws = [jnp.eye(3) * 2.0, jnp.eye(3) * 2.0]
    d = jnp.array([1.0, -1.0, 0.5])
    out = array(f(ws, d), "backprop_through(weights, delta_last) for 2 layers of width 3", shape=(3, 3))
    expect(
        close(out[-1], d, 1e-6),
        "The last row must be delta_last itself: row l is the signal at layer l, and L is the last.",
    )
    expect(
        close(out[0], d * 4.0, 1e-6),
        "With W = 2 I in both layers the signal at the input should be 4 times delta_L: check the order of your rows.",
    )


@suite.test("q1", points=1)
def q1_transpose(ns):
    """multiplies by W_l (not its transpose) for h_l = h_{l-1} @ W_l"""
    f = function(ns, "backprop_through")
    w = jnp.array([[1.0, 2.0], [0.0, 1.0]])
    d = jnp.array([1.0, 1.0])
    out = array(f([w], d), "backprop_through([W], delta)", shape=(2, 2))
    expect(
        not close(out[0], np.asarray(w.T @ d), 1e-6),
        "You used the transpose: for row vectors h_l = h_{l-1} W_l, dL/dh_{l-1} = W_l dL/dh_l (as a column).",
    )
    expect(
        close(out[0], np.asarray(w @ d), 1e-6),
        "Wrong signal at the input of a one-layer chain: apply the chain rule once.",
    )


# ---- q2 ---------------------------------------------------------------------------------------------


@suite.test("q2", points=1)
def q2_vanishes(ns):
    """relu_ratio_at_1 is a single number below 1"""
    r = number(answer(ns, "relu_ratio_at_1"), "relu_ratio_at_1")
    expect(r > 0, "A ratio of norms is positive.")
    expect(
        r < 1,
        "At s = 1 < sqrt(2) the ReLU net is below its critical scale: the ratio input / last layer must be below 1. Did you divide the other way round?",
    )


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_on_slider(ns):
    """tanh_flat_scale is one of the slider's values"""
    v = number(answer(ns, "tanh_flat_scale"), "tanh_flat_scale")
    expect(
        any(close(v, s, 1e-6) for s in SLIDER), f"tanh_flat_scale should be one of the slider's values {list(SLIDER)}."
    )
