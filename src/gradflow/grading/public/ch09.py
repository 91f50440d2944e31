"""Public tests of the ch09 graded exercises.

Generated from exercises/masters/ch09_tests.py by ``python -m gradflow.grading generate``: do not edit.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gradflow.grading.checks import Suite, answer, close, expect, function, number

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


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_on_slider(ns):
    """best_threshold is one of the slider's labels"""
    v = answer(ns, "best_threshold")
    expect(isinstance(v, str), 'best_threshold should be a string as the slider shows it, e.g. "10".')
    expect(v.strip() in LABELS, f"best_threshold should be one of the slider's values {list(LABELS)}.")
