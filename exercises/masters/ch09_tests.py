"""Tests of the chapter 9 graded exercises (public and hidden).

Hidden tests (``hidden=True``) are removed from the public copy shipped to students; keep their reference values
inside the test functions so they are removed with them.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gradflow.grading.checks import Suite, answer, close, expect, function, number, uses_none_of

suite = Suite(
    "ch09",
    {
        "q1": "clipping by global norm",
        "q2": "the angle of value clipping",
        "q3": "explore the clipping threshold",
    },
)
LABELS = ("none", "100", "10", "1", "0.1", "0.01")


def _tree():
    return {"a": {"W": jnp.array([[3.0, 0.0], [0.0, 0.0]]), "b": jnp.array([0.0, 4.0])}, "c": [jnp.array([0.0])]}


def _leaves(ns, tree, max_norm):
    out = function(ns, "clip_global_norm")(tree, max_norm)
    expect(out is not None, "clip_global_norm returned None. Did you forget to `return` the clipped tree?")
    expect(
        jax.tree.structure(out) == jax.tree.structure(tree),
        "The result must have the same structure as the input (same keys, same nesting): use jax.tree.map.",
    )
    return [np.asarray(leaf, dtype=float) for leaf in jax.tree.leaves(out)]


def _reference(tree, max_norm):
    clipped, _ = optax.clip_by_global_norm(max_norm).update(tree, optax.EmptyState())
    return [np.asarray(leaf, dtype=float) for leaf in jax.tree.leaves(clipped)]


# ---- q1 ---------------------------------------------------------------------------------------------


@suite.test("q1", points=2)
def q1_small_tree(ns):
    """clips a small tree whose global norm is 5 down to norm 1"""
    tree = _tree()
    mine = _leaves(ns, tree, 1.0)
    norms = [float(np.linalg.norm(leaf)) for leaf in mine]
    expect(
        not close(norms[0], 1.0, 1e-4) or not close(norms[1], 1.0, 1e-4),
        "Each leaf was scaled to norm 1 on its own: that is clipping per leaf. Use one factor for the whole tree, from the norm of all leaves together.",
    )
    ok = all(close(m, r, 1e-5, 1e-7) for m, r in zip(mine, _reference(tree, 1.0), strict=True))
    expect(
        ok,
        "Wrong values. The global norm is sqrt of the sum of the squares of every entry of every leaf (5 here), and every leaf is multiplied by max_norm / global norm.",
    )


@suite.test("q1", points=1, hidden=True)
def q1_below_threshold(ns):
    """leaves a tree below the threshold unchanged"""
    tree = _tree()
    mine = _leaves(ns, tree, 10.0)
    expect(
        all(close(m, np.asarray(r, float), 1e-6) for m, r in zip(mine, jax.tree.leaves(tree), strict=True)),
        "A tree whose global norm is below max_norm must come back unchanged: clipping never enlarges a gradient.",
    )


@suite.test("q1", points=1, hidden=True)
def q1_random_trees(ns):
    """matches optax.clip_by_global_norm on a random network-sized tree, for several thresholds"""
    keys = jax.random.split(jax.random.key(5), 4)
    tree = {"dense_01": {"W": 7 * jax.random.normal(keys[0], (64, 32)), "b": jax.random.normal(keys[1], (32,))},
            "output": {"W": jax.random.normal(keys[2], (32, 10)), "b": jax.random.normal(keys[3], (10,))}}  # fmt: skip
    for c in (0.01, 3.0, 1e4):
        mine = _leaves(ns, tree, c)
        expect(
            all(close(m, r, 1e-4, 1e-7) for m, r in zip(mine, _reference(tree, c), strict=True)),
            f"Right on the small example but wrong on a larger tree with max_norm = {c}: does your norm include every leaf?",
        )


@suite.test("q1", points=1, hidden=True)
def q1_by_hand(ns):
    """is written by hand, without optax"""
    f = function(ns, "clip_global_norm")
    expect(f(_tree(), 1.0) is not None, "Write the function first: it returns None.")
    uses_none_of(
        ns,
        "clip_global_norm",
        {"optax", "clip_by_global_norm", "global_norm"},
        "Write the clipping yourself, as the question asks.",
    )


# ---- q2 ---------------------------------------------------------------------------------------------


@suite.test("q2", points=1)
def q2_range(ns):
    """value_clip_angle is an angle in degrees, not zero"""
    v = number(answer(ns, "value_clip_angle"), "value_clip_angle")
    expect(v < 180, "An angle between two vectors is at most 180 degrees.")
    expect(
        v > 1e-2,
        "That angle is (nearly) zero: clipping by global norm keeps the direction. The question asks for clipping by value.",
    )
    expect(v > 1.6, "This looks like radians; the question asks for degrees.")


@suite.test("q2", points=2, hidden=True)
def q2_value(ns):
    """value_clip_angle is right (within 0.5 degrees)"""
    v = number(answer(ns, "value_clip_angle"), "value_clip_angle")
    expect(not close(v, 45.51, 0, 0.5), "That is the angle for c = 1; the question asks for c = 0.1.")
    expect(close(v, 54.53, 0, 0.5), "Not the angle between the raw and the value-clipped gradient at c = 0.1.")


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_on_slider(ns):
    """best_threshold is one of the slider's labels"""
    v = answer(ns, "best_threshold")
    expect(isinstance(v, str), 'best_threshold should be a string as the slider shows it, e.g. "10".')
    expect(v.strip() in LABELS, f"best_threshold should be one of the slider's values {list(LABELS)}.")


@suite.test("q3", points=1, hidden=True)
def q3_value(ns):
    """best_threshold is the one with the lowest final loss"""
    v = str(answer(ns, "best_threshold")).strip()
    expect(v != "none", "Without clipping the run diverges: its loss is NaN.")
    expect(v != "100", "At 100 the run stays finite but its loss stays at the chance level, 2.3.")
    expect(v == "1", "Another threshold ends lower: compare the final losses in the titles.")
