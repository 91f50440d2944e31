"""Public tests of the ch11 graded exercises.

Generated from exercises/masters/ch11_tests.py by ``python -m gradflow.grading generate``: do not edit.
"""

import jax.numpy as jnp
import numpy as np

from gradflow.grading.checks import Suite, answer, close, expect, function, number

suite = Suite(
    "ch11",
    {
        "q1": "a verdict from the backprop signal",
        "q2": "diagnose a network you are given",
        "q3": "explore the weight scale",
    },
)
SCALES = (0.25, 0.5, 1.0, 1.5, 2.5, 3.0, 4.0)


# ---- q1 ---------------------------------------------------------------------------------------------


@suite.test("q1", points=1)
def q1_clear_cases(ns):
    """clear cases of each verdict"""
    f = function(ns, "signal_verdict")
    expect(
        f([1e-6, 1e-3, 1.0]) == "vanishing",
        "A signal a million times smaller at the input than at the output vanishes.",
    )
    expect(
        f([1e6, 1e3, 1.0]) != "vanishing",
        "You have the direction backwards: compare the first (input side) value to the last, first / last.",
    )
    expect(
        f([1e6, 1e3, 1.0]) == "exploding", "A signal a million times larger at the input than at the output explodes."
    )
    expect(f([0.5, 0.8, 1.0]) == "healthy", "A ratio of 0.5 is within the healthy range.")


@suite.test("q1", points=1)
def q1_array_types(ns):
    """accepts NumPy and JAX arrays"""
    f = function(ns, "signal_verdict")
    expect(f(np.array([2.0, 1.0])) == "healthy", "Convert the input with np.asarray so NumPy arrays work.")
    expect(f(jnp.array([1e-5, 1.0])) == "vanishing", "Convert the input with np.asarray so JAX arrays work.")


# ---- q2 ---------------------------------------------------------------------------------------------


@suite.test("q2", points=1)
def q2_types(ns):
    """bad_layer is an activation name, dead_in_bad_layer a fraction, fix_chapter a chapter number"""
    layer = answer(ns, "bad_layer")
    expect(isinstance(layer, str) and layer.startswith("h"), "bad_layer is an activation name such as 'h2' (a string).")
    d = number(answer(ns, "dead_in_bad_layer"), "dead_in_bad_layer")
    expect(0.0 <= d <= 1.0, "A fraction of units lies between 0 and 1.")
    c = number(answer(ns, "fix_chapter"), "fix_chapter")
    expect(c == int(c) and 1 <= c <= 11, "fix_chapter is a chapter number between 1 and 11.")


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_on_slider(ns):
    """first_not_vanishing is one of the slider's scales"""
    s = number(answer(ns, "first_not_vanishing"), "first_not_vanishing")
    expect(any(close(s, v, 0.0, 1e-9) for v in SCALES), f"Give one of the slider's scales {list(SCALES)}.")
