"""Tests of the chapter 3 graded exercises (public and hidden).

Hidden tests (``hidden=True``) are removed from the public copy shipped to students; keep their reference values
inside the test functions so they are removed with them.
"""

import jax
import jax.numpy as jnp
import numpy as np

from gradflow.grading.checks import Suite, answer, array, close, expect, function, number, uses_none_of

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


@suite.test("q1", points=1, hidden=True)
def q1_matches_autodiff(ns):
    """matches jax.grad through a random 5-layer chain"""
    f = function(ns, "backprop_through")
    keys = jax.random.split(jax.random.key(11), 6)
    ws = [jax.random.normal(k, (4, 4)) / 2 for k in keys[:5]]
    target = jax.random.normal(keys[5], (4,))
    x = jnp.ones(4)

    def loss(h0):
        h = h0
        for w in ws:
            h = h @ w
        return jnp.dot(h, target)

    expected0 = np.asarray(jax.grad(loss)(x))
    out = array(f(ws, target), "backprop_through for 5 random layers", shape=(6, 4))
    expect(
        close(out[0], expected0, 1e-4, 1e-6),
        "The signal at the input disagrees with autodiff: multiply the layers from the last one back to the first.",
    )


@suite.test("q1", points=1, hidden=True)
def q1_by_hand(ns):
    """uses the chain rule, not jax.grad"""
    f = function(ns, "backprop_through")
    expect(f([jnp.eye(2)], jnp.ones(2)) is not None, "Write the function first: it returns None.")
    uses_none_of(
        ns,
        "backprop_through",
        {"grad", "vjp", "value_and_grad", "jacrev"},
        "Write the chain rule yourself, one matrix product per layer.",
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


@suite.test("q2", points=2, hidden=True)
def q2_value(ns):
    """relu_ratio_at_1 has the right value (within 10%)"""
    reference, mean_not_median, next_layer = 1.094168e-03, 9.3575375e-04, 0.7057533
    r = number(answer(ns, "relu_ratio_at_1"), "relu_ratio_at_1")
    expect(not close(r, next_layer, 0.1), "Divide by the last hidden layer's signal (index -1), not by layer 1's.")
    expect(not close(r, mean_not_median, 0.02), "Take the median over the seeds, not the mean.")
    expect(
        close(r, reference, 0.1),
        "Not the expected ratio: use the given spec, the scale [1.0], the keys of jax.random.key(7) and the batch xb, yb.",
    )


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_on_slider(ns):
    """tanh_flat_scale is one of the slider's values"""
    v = number(answer(ns, "tanh_flat_scale"), "tanh_flat_scale")
    expect(
        any(close(v, s, 1e-6) for s in SLIDER), f"tanh_flat_scale should be one of the slider's values {list(SLIDER)}."
    )


@suite.test("q3", points=1, hidden=True)
def q3_value(ns):
    """tanh_flat_scale is the slider value with the ratio closest to 1"""
    v = number(answer(ns, "tanh_flat_scale"), "tanh_flat_scale")
    expect(not close(v, 1.41, 1e-6), "1.41 is ReLU's critical scale; set the activation slider to tanh.")
    expect(
        close(v, 1.19, 1e-6), "At another slider value the ratio in the title is closer to 1 (compare the exponents)."
    )
