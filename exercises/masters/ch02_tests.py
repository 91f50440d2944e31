"""Tests of the chapter 2 graded exercises (public and hidden).

Hidden tests (``hidden=True``) are removed from the public copy shipped to students; keep their reference values
inside the test functions so they are removed with them.
"""

import jax
import jax.numpy as jnp
import numpy as np

from gradflow.grading.checks import Suite, answer, array, close, expect, function, number, uses_none_of
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


@suite.test("q1", points=2, hidden=True)
def q1_hidden_layer(ns):
    """dJ/dw1 .. dJ/dw4 (the hidden layer) are right on the worked example"""
    params, x, t = smallnet.example()
    mine = _gradients(ns, params, x, t)
    wrong = _wrong(mine, smallnet.backprop(params, x, t), WEIGHTS[:4])
    if "w1" in wrong and close(mine["w1"], float(smallnet.single_path_dJ_dw1(params, x, t)), 1e-4):
        expect(
            False,
            "Your dJ/dw1 follows only the path through O1. h1 feeds both outputs, so J depends on w1 through O2 too: add both paths.",
        )
    expect(
        not wrong,
        f"Wrong: {wrong}. A hidden unit's delta sums the deltas of every output it feeds, each times the weight that connects them.",
    )


@suite.test("q1", points=1, hidden=True)
def q1_any_params(ns):
    """all eight are right for other parameters, inputs and targets"""
    keys = jax.random.split(jax.random.key(7), 3)
    params = {k: v for k, v in zip(smallnet.NAMES, jax.random.normal(keys[0], (10,)), strict=True)}
    x, t = jax.random.normal(keys[1], (2,)), jax.random.uniform(keys[2], (2,))
    wrong = _wrong(_gradients(ns, params, x, t), smallnet.backprop(params, x, t), WEIGHTS)
    expect(
        not wrong,
        f"Right on the worked example but wrong for other numbers at {wrong}: is a value of the example hard-coded?",
    )


@suite.test("q1", points=1, hidden=True)
def q1_by_hand(ns):
    """is written by hand, without jax.grad or smallnet.backprop"""
    f = function(ns, "smallnet_gradients")
    expect(f(*smallnet.example()) is not None, "Write the function first: it returns None.")
    uses_none_of(
        ns,
        "smallnet_gradients",
        {"grad", "value_and_grad", "vjp", "backprop", "jacrev", "jacfwd"},
        "Write the chain rule out yourself, as the question asks.",
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


@suite.test("q2", points=1, hidden=True)
def q2_rotated(ns):
    """right for a rotated (non-diagonal) matrix"""
    c, s = np.cos(0.4), np.sin(0.4)
    r = np.array([[c, -s], [s, c]])
    a = r @ np.diag([0.5, 4.0]) @ r.T
    v = _critical(ns, jnp.asarray(a, jnp.float32))
    _eig_hints(v, a)
    expect(close(v, 0.5, 1e-4), "Wrong for a non-diagonal A: the critical rate depends on A's eigenvalues.")


@suite.test("q2", points=1, hidden=True)
def q2_three_by_three(ns):
    """right for a 3x3 matrix"""
    m = np.array([[2.0, 0.5, 0.0], [0.5, 3.0, 0.3], [0.0, 0.3, 1.0]])
    v = _critical(ns, m)
    _eig_hints(v, m)
    expect(
        close(v, 2 / np.linalg.eigvalsh(m).max(), 1e-4), "Wrong for a 3x3 matrix: make sure nothing assumes A is 2x2."
    )


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_whole_step(ns):
    """steps_to_tol is a whole number of steps between 1 and 200"""
    k = number(answer(ns, "steps_to_tol"), "steps_to_tol")
    expect(k == int(k), "A number of steps is a whole number.")
    expect(1 <= k <= 200, "steps_to_tol should be a step between 1 and 200: the loss at step 0 is far above 1e-6.")


@suite.test("q3", points=1, hidden=True)
def q3_value(ns):
    """steps_to_tol is right (within one step)"""
    k = number(answer(ns, "steps_to_tol"), "steps_to_tol")
    expect(abs(k - 41) > 1, "That is the count for learning rate 0.15; the question asks for 0.19.")
    expect(
        abs(k - 82) <= 1,
        "Not the first step with a loss below 1e-6 at learning rate 0.19: count from w_0 (step 0), and take the first k where the loss is below 1e-6.",
    )


# ---- q4 ---------------------------------------------------------------------------------------------


@suite.test("q4", points=1)
def q4_on_slider(ns):
    """largest_converging_lr is one of the slider's rates"""
    v = number(answer(ns, "largest_converging_lr"), "largest_converging_lr")
    expect(
        any(close(v, r, 0, 0.005) for r in RATES),
        f"largest_converging_lr should be one of the slider's rates {list(RATES)}.",
    )


@suite.test("q4", points=1, hidden=True)
def q4_value(ns):
    """largest_converging_lr is right (within 0.005)"""
    v = number(answer(ns, "largest_converging_lr"), "largest_converging_lr")
    expect(
        not close(v, 0.2, 0, 0.005),
        "At that rate the loss does not go down: the steep component flips sign with the same size each step, forever.",
    )
    expect(v < 0.2, "At that rate the loss grows: the path zig-zags further out each step.")
    expect(
        v > 0.185, "A larger rate on the slider still converges: move the slider right until the loss stops going down."
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


@suite.test("q5", points=1, hidden=True)
def q5_batch(ns):
    """right for a batch (dW and db summed over the examples)"""
    case = _layer_case(2, batch=6, n_in=3, n_out=2)
    mine, ref = _layer_answer(ns, case), _layer_reference(*case)
    expect(
        not close(mine[1], ref[1] / 6, 1e-4, 1e-6),
        "Your db is the mean over the batch; the gradient sums over the examples (any mean belongs in the loss).",
    )
    expect(close(mine[0], ref[0], 1e-4, 1e-6), "dW is wrong for a batch: h^T delta_z sums over the batch by itself.")
    expect(close(mine[1], ref[1], 1e-4, 1e-6), "db is wrong for a batch: sum delta_z over the examples (axis 0).")
    expect(close(mine[2], ref[2], 1e-4, 1e-6), "delta_in is wrong for a batch: one row delta_z W^T per example.")


@suite.test("q5", points=1, hidden=True)
def q5_by_hand(ns):
    """uses the layer formulas, not automatic differentiation"""
    expect(function(ns, "layer_backward")(*_layer_case(3)) is not None, "Write the function first: it returns None.")
    uses_none_of(
        ns,
        "layer_backward",
        {"grad", "vjp", "jvp", "value_and_grad", "backprop"},
        "Write the three formulas yourself, as the question asks.",
    )
