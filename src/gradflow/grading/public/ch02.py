"""Public tests of the ch02 graded exercises.

Generated from exercises/masters/ch02_tests.py by ``python -m gradflow.grading generate``: do not edit.
"""

import jax
import jax.numpy as jnp
import numpy as np

from gradflow.grading.checks import Suite, answer, array, close, expect, function, number
from gradflow.models import worked_example as smallnet

suite = Suite(
    "ch02",
    {
        "q1": "backpropagation by hand",
        "q2": "the critical learning rate",
        "q3": "how many steps?",
        "q4": "explore the learning rate",
        "q5": "one layer backwards",
    },
)
WEIGHTS = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8")
RATES = (0.02, 0.05, 0.1, 0.15, 0.19, 0.2, 0.21, 0.25)


def _gradients(ns, params, x, t) -> dict:
    out = function(ns, "smallnet_gradients")(params, x, t)
    expect(out is not None, "smallnet_gradients returned None. Did you forget to `return` the dict?")
    expect(
        isinstance(out, dict),
        f"smallnet_gradients should return a dict (keys 'w1' .. 'w8'); it returned a {type(out).__name__}.",
    )
    missing = [k for k in WEIGHTS if k not in out]
    expect(not missing, f"The dict misses the keys {missing}.")
    return {k: number(out[k], f"your dJ/d{k}") for k in WEIGHTS}


def _wrong(mine: dict, ref: dict, keys) -> list:
    return [k for k in keys if not close(mine[k], float(ref[k]), 1e-4, 1e-9)]


# ---- q1 ---------------------------------------------------------------------------------------------


@suite.test("q1", points=1)
def q1_returns_dict(ns):
    """returns a dict of eight single numbers, w1 .. w8"""
    _gradients(ns, *smallnet.example())


@suite.test("q1", points=1)
def q1_output_layer(ns):
    """dJ/dw5 .. dJ/dw8 (the output layer) are right on the worked example"""
    params, x, t = smallnet.example()
    wrong = _wrong(_gradients(ns, params, x, t), smallnet.backprop(params, x, t), WEIGHTS[4:])
    expect(
        not wrong,
        f"Wrong: {wrong}. An output weight reaches J by one path: dJ/dO times dO/dnet (the sigmoid's derivative, "
        "written with O itself) times dnet/dw (the hidden value that weight multiplies).",
    )


# ---- q2 ---------------------------------------------------------------------------------------------


def _critical(ns, a) -> float:
    return number(function(ns, "critical_learning_rate")(a), "critical_learning_rate(A)")


def _eig_hints(value: float, a: np.ndarray) -> None:
    lam = np.linalg.eigvalsh(a)
    expect(
        not close(value, 2 / lam.min(), 1e-4),
        "You used the smallest eigenvalue; the steepest direction is the one that diverges first.",
    )
    expect(
        not close(value, 1 / lam.max(), 1e-4),
        "1/λ_max is where the steep direction starts to zig-zag, not where it stops converging: convergence needs |1 − lr·λ| < 1 for every eigenvalue λ.",
    )
    diagonal = np.allclose(a, np.diag(np.diag(a)))
    expect(
        diagonal or not close(value, 2 / np.diag(a).max(), 1e-4),
        "The diagonal entries are the eigenvalues only when A is diagonal: use the eigenvalues of A.",
    )


@suite.test("q2", points=1)
def q2_diagonal(ns):
    """right for a diagonal matrix"""
    a = np.diag([1.0, 10.0])
    v = _critical(ns, a)
    _eig_hints(v, a)
    expect(
        close(v, 0.2, 1e-5),
        "Wrong for A = diag(1, 10): along eigenvector i one step multiplies the component by (1 − lr·λ_i).",
    )


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_whole_step(ns):
    """steps_to_tol is a whole number of steps between 1 and 200"""
    k = number(answer(ns, "steps_to_tol"), "steps_to_tol")
    expect(k == int(k), "A number of steps is a whole number.")
    expect(1 <= k <= 200, "steps_to_tol should be a step between 1 and 200: the loss at step 0 is far above 1e-6.")


# ---- q4 ---------------------------------------------------------------------------------------------


@suite.test("q4", points=1)
def q4_on_slider(ns):
    """largest_converging_lr is one of the slider's rates"""
    v = number(answer(ns, "largest_converging_lr"), "largest_converging_lr")
    expect(
        any(close(v, r, 0, 0.005) for r in RATES),
        f"largest_converging_lr should be one of the slider's rates {list(RATES)}.",
    )


# ---- q5 ---------------------------------------------------------------------------------------------


def _layer_case(seed: int, batch: int = 3, n_in: int = 4, n_out: int = 5):
    keys = jax.random.split(jax.random.key(seed), 4)
    h = jax.random.normal(keys[0], (batch, n_in), jnp.float32)
    w = jax.random.normal(keys[1], (n_in, n_out), jnp.float32) / 2
    b = jax.random.normal(keys[2], (n_out,), jnp.float32) / 2
    delta_out = jax.random.normal(keys[3], (batch, n_out), jnp.float32)
    return h, w, b, delta_out


def _layer_reference(h, w, b, delta_out):
    _, pullback = jax.vjp(lambda h_, w_, b_: jax.nn.sigmoid(h_ @ w_ + b_), h, w, b)
    d_h, d_w, d_b = pullback(delta_out)
    return np.asarray(d_w), np.asarray(d_b), np.asarray(d_h)


def _layer_answer(ns, case):
    h, w, b, _ = case
    out = function(ns, "layer_backward")(*case)
    expect(out is not None, "layer_backward returned None. Did you forget to `return` the tuple (dW, db, delta_in)?")
    expect(
        isinstance(out, (tuple, list)) and len(out) == 3,
        "layer_backward should return a tuple of three arrays: (dW, db, delta_in).",
    )
    return (
        array(out[0], "dW", shape=tuple(w.shape)),
        array(out[1], "db", shape=tuple(b.shape)),
        array(out[2], "delta_in", shape=tuple(h.shape)),
    )


@suite.test("q5", points=1)
def q5_shapes(ns):
    """returns (dW, db, delta_in) with the shapes of W, b and h"""
    _layer_answer(ns, _layer_case(0))


@suite.test("q5", points=1)
def q5_one_example(ns):
    """right for a batch of one example"""
    case = _layer_case(1, batch=1)
    mine, ref = _layer_answer(ns, case), _layer_reference(*case)
    h, w, b, delta_out = case
    no_slope = (np.asarray(h).T @ np.asarray(delta_out), np.asarray(delta_out).sum(0), np.asarray(delta_out @ w.T))
    expect(
        not close(mine[0], no_slope[0], 1e-4, 1e-6),
        "You passed delta_out straight to the weights: first multiply it by the sigmoid's derivative at z "
        "(delta_z = delta_out * sigma'(z), with sigma'(z) = h_out (1 - h_out)).",
    )
    expect(close(mine[0], ref[0], 1e-4, 1e-6), "dW is wrong: dL/dW = h^T delta_z (an outer product for one example).")
    expect(close(mine[1], ref[1], 1e-4, 1e-6), "db is wrong: dL/db = delta_z.")
    expect(close(mine[2], ref[2], 1e-4, 1e-6), "delta_in is wrong: dL/dh = delta_z W^T.")
