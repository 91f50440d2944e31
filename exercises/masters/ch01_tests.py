"""Tests of the chapter 1 graded exercises (public and hidden).

Hidden tests (``hidden=True``) are removed from the public copy shipped to students; keep their reference values
inside the test functions so they are removed with them.
"""

import jax
import jax.numpy as jnp
import numpy as np

from gradflow.grading.checks import Failed, Suite, answer, array, close, expect, function, number, uses_none_of

suite = Suite(
    "ch01",
    {
        "q1": "the sigmoid's derivative",
        "q2": "the first layer's share of the gradient",
        "q3": "explore depth",
        "q4": "a bound on the chain",
    },
)
DEPTHS = (1, 2, 4, 6, 8, 10, 15, 20)


def _sigmoid_prime(x):
    return jax.vmap(jax.grad(jax.nn.sigmoid))(jnp.ravel(x)).reshape(jnp.shape(x))


# ---- q1 ---------------------------------------------------------------------------------------------


@suite.test("q1", points=1)
def q1_quarter_at_zero(ns):
    """sigmoid_derivative(0.0) has the right value"""
    f = function(ns, "sigmoid_derivative")
    v = number(f(jnp.float32(0.0)), "sigmoid_derivative(0.0)")
    expect(not close(v, 0.5), "At 0 you returned the sigmoid itself, σ(0), not its derivative.")
    expect(
        close(v, 0.25, 1e-6),
        "Wrong at x = 0. Differentiate 1/(1 + e^(-x)) with the chain rule and evaluate it at 0 by hand to test your "
        "formula; the result can be written in terms of σ(x) itself.",
    )


@suite.test("q1", points=1)
def q1_elementwise(ns):
    """works elementwise on an array and matches the derivative between -3 and 3"""
    f = function(ns, "sigmoid_derivative")
    x = jnp.linspace(-3.0, 3.0, 7, dtype=jnp.float32)
    v = array(f(x), "sigmoid_derivative(x) for an array x of 7 values", shape=(7,))
    xs = np.asarray(x, float)
    expect(not close(v, xs * (1 - xs), 1e-4), "You applied the formula to x; it must be applied to σ(x), not to x.")
    expect(
        not close(v, -np.asarray(_sigmoid_prime(x)), 1e-4),
        "Your values have the wrong sign: σ is increasing, so σ' > 0.",
    )
    expect(
        close(v, _sigmoid_prime(x), 1e-5, 1e-7),
        "Right shape, wrong values away from x = 0: check your formula at x = 1 by hand.",
    )


@suite.test("q1", points=1, hidden=True)
def q1_matches_autodiff_2d(ns):
    """matches jax.grad on a 2-D float32 array and keeps float32"""
    f = function(ns, "sigmoid_derivative")
    x = jax.random.uniform(jax.random.key(1), (3, 4), jnp.float32, -8.0, 8.0)
    out = f(x)
    v = array(out, "sigmoid_derivative(x) for x of shape (3, 4)", shape=(3, 4))
    expect(
        close(v, _sigmoid_prime(x), 1e-5, 1e-8),
        "Wrong values for a 2-D array: make sure every operation is elementwise (no sums, no matrix products).",
    )
    expect(
        np.asarray(out).dtype == np.float32,
        f"A float32 input came back as {np.asarray(out).dtype}: compute with jnp (or keep the input's dtype), not Python's math or np.float64.",
    )


@suite.test("q1", points=1, hidden=True)
def q1_stable_tails(ns):
    """finite and tiny (not NaN) at x = ±50 and ±100"""
    f = function(ns, "sigmoid_derivative")
    out = f(jnp.asarray([-100.0, -50.0, 50.0, 100.0], jnp.float32))
    if out is not None and np.isnan(np.asarray(out, dtype=float)).any():
        raise Failed(
            "NaN for large |x|: e^(-x) overflows to inf and inf/inf is NaN. Write the derivative using σ(x), "
            "which jax.nn.sigmoid computes without overflow."
        )
    v = array(out, "sigmoid_derivative at ±50 and ±100", shape=(4,))
    expect(
        np.all(v >= 0) and np.all(v < 1e-20),
        "At ±50 the sigmoid is flat: its derivative must be (almost exactly) 0 and never negative.",
    )


@suite.test("q1", points=1, hidden=True)
def q1_by_hand(ns):
    """is a working closed form, not jax.grad or the library's sigmoid_prime"""
    f = function(ns, "sigmoid_derivative")
    expect(f(jnp.float32(0.0)) is not None, "Write the function first: it returns None.")
    uses_none_of(
        ns,
        "sigmoid_derivative",
        {"grad", "vjp", "jvp", "value_and_grad", "sigmoid_prime", "activations"},
        "Write the closed form yourself, as the question asks.",
    )


# ---- q2 ---------------------------------------------------------------------------------------------


@suite.test("q2", points=1)
def q2_is_a_ratio(ns):
    """ratio_first_last is a single number between 0 and 1"""
    r = number(answer(ns, "ratio_first_last"), "ratio_first_last")
    expect(r > 0, "A ratio of two norms is positive.")
    expect(
        r < 1,
        "Your ratio is above 1: divide the first hidden layer's norm by the output layer's, not the other way round.",
    )


@suite.test("q2", points=2, hidden=True)
def q2_value(ns):
    """ratio_first_last has the right value (within 5%)"""
    reference, signal_ratio, full_batch, last_hidden = 1.6664660e-06, 4.3395659e-07, 1.4467696e-06, 5.5020496e-06
    r = number(answer(ns, "ratio_first_last"), "ratio_first_last")
    expect(
        not close(r, signal_ratio, 0.05),
        "That is the ratio of backprop signals dL/dh; this question asks for weight gradients dL/dW (gf.weight_gradient_norms).",
    )
    expect(not close(r, full_batch, 0.05), "Use the batch xb, yb of 128 images, not the whole training set.")
    expect(
        not close(r, last_hidden, 0.05),
        "Divide by the output layer's norm (the last entry), not the last hidden layer's.",
    )
    expect(
        close(r, reference, 0.05),
        "Not the expected ratio: use the given net, init_key and batch xb, yb, and divide the first entry of the norms by the last.",
    )


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_on_slider(ns):
    """smallest_depth is one of the slider's depths"""
    d = number(answer(ns, "smallest_depth"), "smallest_depth")
    expect(d in DEPTHS, f"smallest_depth should be one of the slider's depths {list(DEPTHS)}.")


@suite.test("q3", points=1, hidden=True)
def q3_value(ns):
    """smallest_depth is the first depth with a ratio below 1e-3"""
    d = number(answer(ns, "smallest_depth"), "smallest_depth")
    expect(
        d <= 6,
        "At a smaller depth on the slider the ratio is already below 1e-3: move the slider down one step at a time.",
    )
    expect(
        d >= 6,
        "At that depth the ratio is still above 1e-3 (1e-3 is written 1.0e-03 in the title): read the title again, with the activation set to sigmoid.",
    )


# ---- q4 ---------------------------------------------------------------------------------------------


@suite.test("q4", points=1)
def q4_one_layer(ns):
    """sigmoid_chain_bound(1) is the largest value of one sigmoid derivative"""
    v = number(function(ns, "sigmoid_chain_bound")(1), "sigmoid_chain_bound(1)")
    expect(
        close(v, 0.25, 1e-9),
        "For one layer the bound is the largest value σ' takes; your function from q1 tells you where that is.",
    )


@suite.test("q4", points=1, hidden=True)
def q4_deep(ns):
    """sigmoid_chain_bound(10) is right"""
    v = number(function(ns, "sigmoid_chain_bound")(10), "sigmoid_chain_bound(10)")
    expect(not close(v, 2.5, 1e-6), "A chain of layers multiplies the factors, it does not add them.")
    expect(
        not (close(v, 0.25**9, 1e-6) or close(v, 0.25**11, 1e-6)),
        "Count the factors: one sigmoid derivative per layer, so `depth` of them.",
    )
    expect(close(v, 0.25**10, 1e-6), "Wrong for 10 layers: the bound is the product of ten per-layer bounds.")


@suite.test("q4", points=1, hidden=True)
def q4_zero_layers(ns):
    """sigmoid_chain_bound(0) is the empty product"""
    v = number(function(ns, "sigmoid_chain_bound")(0), "sigmoid_chain_bound(0)")
    expect(close(v, 1.0, 1e-12), "With no layers there is nothing to multiply: the product of no factors is 1.")
