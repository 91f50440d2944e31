"""Tests of the chapter 11 graded exercises (public and hidden).

Hidden tests (``hidden=True``) are removed from the public copy shipped to students; keep their reference values
inside the test functions so they are removed with them.
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


@suite.test("q1", points=1, hidden=True)
def q1_thresholds(ns):
    """the thresholds are 1/1000 and 1000 of the first/last ratio"""
    f = function(ns, "signal_verdict")
    expect(f([2e-3, 1.0]) == "healthy", "A ratio of 2e-3 is above 1/1000: healthy. Check your threshold.")
    expect(f([5e-4, 1.0]) == "vanishing", "A ratio of 5e-4 is below 1/1000: vanishing. Check your threshold.")
    expect(f([500.0, 1.0]) == "healthy", "A ratio of 500 is below 1000: healthy.")
    expect(f([2000.0, 1.0]) == "exploding", "A ratio of 2000 is above 1000: exploding.")


@suite.test("q1", points=1, hidden=True)
def q1_first_and_last_only(ns):
    """uses the first and the last values, not the smallest or largest"""
    f = function(ns, "signal_verdict")
    expect(
        f([1.0, 1e-6, 1e6, 1.0]) == "healthy",
        "Only the first and the last values matter: the rule compares the input side to the output side.",
    )
    expect(f([2e-3, 100.0, 1.0]) == "healthy", "Divide by the last value, not by the largest or the second.")


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


@suite.test("q2", points=2, hidden=True)
def q2_layer_and_fraction(ns):
    """the first faulty layer and its dead fraction"""
    layer = answer(ns, "bad_layer")
    expect(
        layer not in ("h5", "h6"),
        "That layer is dead too, but only because the one before it outputs zeros: find the first dead layer.",
    )
    expect(layer != "dense_04", "Name the activation as the report does (h1 .. h6), not the weight array.")
    expect(layer == "h4", "Not the faulty layer: look at the report's dead fractions, layer by layer from h1.")
    d = number(answer(ns, "dead_in_bad_layer"), "dead_in_bad_layer")
    expect(close(d, 1.0, 0.0, 1e-6), "Read the dead fraction of that layer from report.dead_fractions.")


@suite.test("q2", points=1, hidden=True)
def q2_fix(ns):
    """the chapter of the first fix"""
    c = number(answer(ns, "fix_chapter"), "fix_chapter")
    expect(c == 4, "Not the chapter of the first fix the report lists: read report.verdict.fixes[0].")


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_on_slider(ns):
    """first_not_vanishing is one of the slider's scales"""
    s = number(answer(ns, "first_not_vanishing"), "first_not_vanishing")
    expect(any(close(s, v, 0.0, 1e-9) for v in SCALES), f"Give one of the slider's scales {list(SCALES)}.")


@suite.test("q3", points=1, hidden=True)
def q3_value(ns):
    """the smallest scale whose verdict for the sigmoid net is no longer vanishing"""
    s = number(answer(ns, "first_not_vanishing"), "first_not_vanishing")
    expect(s >= 3.0 - 1e-9, "At that scale the sigmoid net's verdict is still vanishing: move the slider up.")
    expect(
        s <= 3.0 + 1e-9,
        "A smaller scale on the slider is already not vanishing: move the slider down one step at a time.",
    )
