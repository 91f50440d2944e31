"""Tests of the chapter 5 graded exercises (public and hidden).

Hidden tests (``hidden=True``) are removed from the public copy shipped to students; keep their reference values
inside the test functions so they are removed with them.
"""

import jax
import numpy as np

from gradflow.grading.checks import Suite, answer, array, close, expect, function, number, uses_none_of

suite = Suite(
    "ch05",
    {
        "q1": "Xavier uniform by hand",
        "q2": "the factor per layer",
        "q3": "twenty LeCun layers",
        "q4": "explore tanh with He",
    },
)


def _weights(ns, key, shape) -> np.ndarray:
    w = function(ns, "xavier_uniform")(key, shape)
    return array(w, f"xavier_uniform(key, {shape})", shape=shape)


# ---- q1 ---------------------------------------------------------------------------------------------


@suite.test("q1", points=1)
def q1_shape_and_bound(ns):
    """returns the right shape, inside the bound sqrt(6/(n_in + n_out))"""
    w = _weights(ns, jax.random.key(0), (300, 200))
    a = np.sqrt(6 / 500)
    expect(
        np.abs(w).max() <= a * (1 + 1e-6),
        "Some weights lie outside the Xavier interval (-a, a): how does the variance of U(-a, a) depend on a?",
    )


@suite.test("q1", points=2, hidden=True)
def q1_variance(ns):
    """has the Xavier variance 2/(n_in + n_out) for wide and tall matrices"""
    for shape in ((512, 256), (256, 512)):
        w = _weights(ns, jax.random.key(3), shape)
        v = float(np.mean(w**2))
        target = 2 / sum(shape)
        expect(
            not close(v, 1 / shape[0], 0.03) or close(v, target, 0.03),
            "Your variance is 1/n_in (LeCun's): Xavier's averages the fan-in and the fan-out.",
        )
        expect(
            close(v, target, 0.03),
            f"For shape {shape} the weights' variance is off the target 2/(n_in + n_out): check the bound a.",
        )


@suite.test("q1", points=1, hidden=True)
def q1_uniform(ns):
    """is uniform and fills its interval"""
    w = _weights(ns, jax.random.key(4), (400, 300))
    a = np.sqrt(6 / 700)
    expect(np.abs(w).max() > 0.99 * a, "The weights do not reach the bound: is the interval too narrow?")
    quarters = np.histogram(w, bins=4, range=(-a, a))[0] / w.size
    expect(np.allclose(quarters, 0.25, atol=0.01), "The weights are not uniform on (-a, a): use jax.random.uniform.")


@suite.test("q1", points=1, hidden=True)
def q1_keys(ns):
    """is deterministic in its key, different for different keys, and hand-written"""
    f = function(ns, "xavier_uniform")
    a, b, c = (np.asarray(f(jax.random.key(k), (8, 4))) for k in (5, 5, 6))
    expect(np.array_equal(a, b), "The same key gave different matrices: draw every random number from `key`.")
    expect(not np.array_equal(a, c), "Different keys gave the same matrix: draw the random numbers from `key`.")
    uses_none_of(
        ns,
        "xavier_uniform",
        {"glorot_uniform", "xavier_uniform_bound", "init_by_hand", "initializers"},
        "Write it by hand.",
    )


# ---- q2 ---------------------------------------------------------------------------------------------


def _factor(ns, n_in, var_w, activation) -> float:
    return number(function(ns, "second_moment_factor")(n_in, var_w, activation), "second_moment_factor(...)")


@suite.test("q2", points=1)
def q2_linear(ns):
    """is right for a linear layer"""
    v = _factor(ns, 256, 1 / 256, "linear")
    expect(close(v, 1.0, 1e-9), "For a linear layer with Var(W) = 1/n_in the second moment is preserved.")
    expect(close(_factor(ns, 100, 0.03, "linear"), 3.0, 1e-9), "Each of the n_in terms adds Var(W) E[h²].")


@suite.test("q2", points=2, hidden=True)
def q2_relu(ns):
    """is right for a ReLU layer"""
    v = _factor(ns, 256, 2 / 256, "relu")
    expect(
        not close(v, 2.0, 1e-9),
        "A ReLU zeroes the negative half of a symmetric input: it keeps half its second moment.",
    )
    expect(
        not close(v, 2 * (0.5 - 1 / (2 * np.pi)), 1e-6),
        "The next layer sees the second moment E[h²], not the variance.",
    )
    expect(close(v, 1.0, 1e-9) and close(_factor(ns, 64, 0.01, "relu"), 0.32, 1e-9), "Wrong for a ReLU layer.")


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_small(ns):
    """lecun_ratio is a positive number far below one"""
    v = number(answer(ns, "lecun_ratio"), "lecun_ratio")
    expect(v > 0, "A ratio of second moments is positive.")
    expect(v < 1e-3, "With Var(W) = 1/n_in a ReLU layer halves the second moment: after 20 layers it is tiny.")


@suite.test("q3", points=2, hidden=True)
def q3_value(ns):
    """lecun_ratio is right (within 1%)"""
    import gradflow as gf

    spec = gf.MLP(256, 256, 20, 10, activation="relu", init="lecun")
    x = jax.random.normal(jax.random.key(1), (32, 256))
    m = gf.second_moments(spec, spec.init_params(jax.random.key(0)), x)
    v = number(answer(ns, "lecun_ratio"), "lecun_ratio")
    expect(
        not close(v, float(m[0] / m[-1]), 0.01), "You divided the input's second moment by the last layer's: flip it."
    )
    expect(
        not close(v, 2.0**-20, 1e-6),
        "That is the prediction 2^-20; the question asks for the measured value.",
    )
    expect(close(v, float(m[-1] / m[0]), 0.01), "Not the measured E[h_20²]/E[h_0²] of the stated network and inputs.")


# ---- q4 ---------------------------------------------------------------------------------------------


@suite.test("q4", points=1)
def q4_number(ns):
    """tanh_he_ratio is a positive number"""
    v = number(answer(ns, "tanh_he_ratio"), "tanh_he_ratio")
    expect(v > 0, "A ratio of two norms is positive: read the right panel's title.")


@suite.test("q4", points=1, hidden=True)
def q4_value(ns):
    """tanh_he_ratio is right (within 5%)"""
    import gradflow as gf

    x = jax.random.normal(gf.seeds.key(1), (8, 256))  # the chapter's explorer: inputs, labels and network
    y = jax.random.randint(gf.seeds.key(2), (8,), 0, 10)
    net = gf.MLP(256, 256, 50, 10, activation="tanh", init="gaussian_fan_in")
    params = net.with_scale(net.init_params(jax.random.split(gf.seeds.key(11), 24)[0]), 2**0.5)
    hs, deltas = gf.hidden_and_signal(net, params, x, y)
    signal = float(np.linalg.norm(deltas[0]) / np.linalg.norm(deltas[-1]))
    moments = float(np.mean(np.asarray(hs[-1]) ** 2) / np.mean(np.asarray(hs[0]) ** 2))
    v = number(answer(ns, "tanh_he_ratio"), "tanh_he_ratio")
    expect(not close(v, 1 / signal, 0.05), "You entered layer 50 over the input; the title gives input over layer 50.")
    expect(
        not close(v, moments, 0.05),
        "That is the activations' ratio (left panel); the question asks for the backprop signal.",
    )
    expect(close(v, signal, 0.05), "Not the ratio shown for tanh with He 2/n_in: check both sliders.")
