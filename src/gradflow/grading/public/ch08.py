"""Public tests of the ch08 graded exercises.

Generated from exercises/masters/ch08_tests.py by ``python -m gradflow.grading generate``: do not edit.
"""

import jax
import jax.numpy as jnp
import numpy as np

import gradflow as gf
from gradflow.grading.checks import Suite, answer, close, expect, function, number
from gradflow.models import recurrent as rec

suite = Suite(
    "ch08",
    {
        "q1": "one LSTM step",
        "q2": "how much signal is left?",
        "q3": "where the RNN starts to explode",
    },
)
SCALES = (0.5, 0.9, 1.0, 1.5, 2.0, 3.0)


def _case(seed: int, batch: int, in_dim: int, hidden: int):
    params = gf.RNN("lstm", in_dim, hidden).init_params(jax.random.key(seed))
    cell = dict(params["cell"])
    cell["b"] = jax.random.normal(jax.random.key(seed + 100), cell["b"].shape)
    k = jax.random.split(jax.random.key(seed + 200), 3)
    h = jnp.tanh(jax.random.normal(k[0], (batch, hidden)))
    c = jax.random.normal(k[1], (batch, hidden))
    x = jax.random.normal(k[2], (batch, in_dim))
    return cell, h, c, x


def _step(ns, cell, h, c, x):
    out = function(ns, "lstm_step_by_hand")(cell["W_x"], cell["W_h"], cell["b"], h, c, x)
    expect(out is not None, "lstm_step_by_hand returned None. Did you forget to `return h_new, c_new`?")
    expect(isinstance(out, (tuple, list)) and len(out) == 2, "Return a pair (h_new, c_new), in that order.")
    h_new, c_new = (np.asarray(a, np.float64) for a in out)
    expect(h_new.shape == h.shape and c_new.shape == c.shape, f"h_new and c_new should both have shape {h.shape}.")
    return h_new, c_new


@suite.test("q1", points=1)
def q1_shapes(ns):
    """returns (h_new, c_new) of shape (batch, hidden)"""
    _step(ns, *_case(0, 3, 2, 4))


@suite.test("q1", points=1)
def q1_cell_state(ns):
    """c_new = f * c + i * g on a small example"""
    cell, h, c, x = _case(1, 3, 2, 4)
    _, c_new = _step(ns, cell, h, c, x)
    ref = rec.lstm_step(cell, rec.LSTMState(h, c), x)
    expect(
        close(c_new, np.asarray(ref.c), 1e-4, 1e-5),
        "c_new is wrong. Check the order of the gate blocks (i, f, g, o), that g uses tanh and the gates sigmoid, "
        "and that the old cell state is multiplied by the forget gate f.",
    )


@suite.test("q1", points=1)
def q1_output(ns):
    """h_new = o * tanh(c_new) on a small example"""
    cell, h, c, x = _case(2, 3, 2, 4)
    h_new, _ = _step(ns, cell, h, c, x)
    ref = rec.lstm_step(cell, rec.LSTMState(h, c), x)
    expect(
        close(h_new, np.asarray(ref.h), 1e-4, 1e-5),
        "h_new is wrong: the output gate multiplies tanh of the NEW cell state (not of the old one, not of g).",
    )


@suite.test("q2", points=1)
def q2_range(ns):
    """ratio_50 is a number between 0 and 1"""
    v = number(answer(ns, "ratio_50"), "ratio_50")
    expect(v > 0, "A ratio of two norms is positive.")
    expect(
        v < 1,
        "With sigma_max 0.9 the signal must shrink going back (Pascanu's bound): the ratio is below 1. "
        "Did you divide the last step by the earlier one?",
    )


@suite.test("q3", points=1)
def q3_bounded_scales(ns):
    """returns None when every scale is at most 1 (and a scale when one is 3)"""
    func = function(ns, "smallest_exploding_scale")
    expect(
        func([1.0, 3.0]) is not None, "With sigma_max 3 the signal 100 steps back exceeds the last: return that scale."
    )
    got = func([0.5, 0.9, 1.0])
    expect(
        got is None,
        "With sigma_max at most 1 (and |tanh'| <= 1) the signal cannot grow going back (Pascanu's bound): "
        "no scale qualifies, so the function should return None.",
    )


@suite.test("q3", points=1)
def q3_on_the_list(ns):
    """on the chapter's scales, returns one of them above 1"""
    got = function(ns, "smallest_exploding_scale")(list(SCALES))
    expect(got is not None, "On the chapter's scales some sigma_max makes the signal 100 steps back exceed the last.")
    v = number(got, "smallest_exploding_scale(SCALES)")
    expect(any(close(v, s, 1e-9) for s in SCALES), "Return one of the scales in the list you were given.")
    expect(v > 1, "Pascanu's bound: with sigma_max at most 1 (and |tanh'| <= 1) the signal cannot grow.")
