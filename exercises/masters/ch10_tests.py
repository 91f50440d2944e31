"""Tests of the chapter 10 graded exercises (public and hidden).

Hidden tests (``hidden=True``) are removed from the public copy shipped to students; keep their reference values
inside the test functions so they are removed with them.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gradflow.grading.checks import Suite, answer, array, close, expect, function, number, uses_none_of

suite = Suite(
    "ch10",
    {
        "q1": "a cosine schedule",
        "q2": "Adam near its eps",
        "q3": "explore the schedules",
    },
)
NAMES = ("constant", "step", "exponential", "cosine", "cosine restarts", "warmup + cosine", "one-cycle")


def _values(ns, steps, init, decay):
    out = function(ns, "cosine_decay")(steps, init, decay)
    return array(out, "cosine_decay(steps, ...)", shape=np.shape(steps))


# ---- q1 ---------------------------------------------------------------------------------------------


@suite.test("q1", points=2)
def q1_landmarks(ns):
    """starts at init_value, is half of it half-way, and 0 at decay_steps"""
    v = _values(ns, jnp.array([0, 50, 100]), 1.0, 100)
    expect(close(v[0], 1.0, 1e-5), "At step 0 the rate should be init_value.")
    expect(
        not close(v[1], 0.0, 0, 1e-5),
        "Half-way the rate is 0: did you use cos(2 pi t/T)? The cosine goes over half a period, pi t/T.",
    )
    expect(close(v[1], 0.5, 1e-5), "Half-way through the decay the rate should be half of init_value.")
    expect(close(v[2], 0.0, 0, 1e-6), "At decay_steps the rate should be 0.")


@suite.test("q1", points=1, hidden=True)
def q1_matches_optax(ns):
    """matches optax.cosine_decay_schedule at every step, past the end included"""
    steps = jnp.arange(0, 400, 7)
    mine = _values(ns, steps, 0.3, 250)
    ref = np.asarray(jax.vmap(optax.cosine_decay_schedule(0.3, 250))(steps), float)
    expect(
        close(mine[steps < 250], ref[steps < 250], 1e-4, 1e-7),
        "Wrong values during the decay: check the formula with init_value = 0.3 and decay_steps = 250.",
    )
    expect(
        close(mine, ref, 1e-4, 1e-7),
        "Right during the decay, wrong after it: past decay_steps the rate should stay at 0 (clip the step at T).",
    )


@suite.test("q1", points=1, hidden=True)
def q1_by_hand(ns):
    """is written by hand, without optax"""
    f = function(ns, "cosine_decay")
    expect(f(0, 1.0, 10) is not None, "Write the function first: it returns None.")
    uses_none_of(
        ns,
        "cosine_decay",
        {"optax", "cosine_decay_schedule", "warmup_cosine", "schedules"},
        "Write the schedule yourself.",
    )


# ---- q2 ---------------------------------------------------------------------------------------------


@suite.test("q2", points=1)
def q2_range(ns):
    """adam_step_ratio is a positive fraction of the learning rate"""
    v = number(answer(ns, "adam_step_ratio"), "adam_step_ratio")
    expect(v > 0, "The size of a step is positive: take the absolute value of the update.")
    expect(v < 1e-3 or v > 1e-2, "This is the step itself; divide it by the learning rate 1e-3.")
    expect(
        not close(v, 1.0, 1e-3),
        "Adam's step is the learning rate only while |g| is well above eps = 1e-8; here g is below eps.",
    )


@suite.test("q2", points=2, hidden=True)
def q2_value(ns):
    """adam_step_ratio is right (within 1%)"""
    v = number(answer(ns, "adam_step_ratio"), "adam_step_ratio")
    expect(not close(v, 0.3, 1e-2), "g/eps = 0.3 is the limit for |g| much smaller than eps; here g is not that small.")
    expect(close(v, 3e-9 / (3e-9 + 1e-8), 1e-2), "Not the last step over the learning rate for g = 3e-9.")


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_on_slider(ns):
    """best_schedule is one of the slider's names"""
    v = answer(ns, "best_schedule")
    expect(isinstance(v, str), 'best_schedule should be a string as the slider shows it, e.g. "step".')
    expect(v.strip() in NAMES, f"best_schedule should be one of the slider's values {list(NAMES)}.")


@suite.test("q3", points=1, hidden=True)
def q3_value(ns):
    """best_schedule is the one with the lowest final loss"""
    v = str(answer(ns, "best_schedule")).strip()
    expect(v != "constant", "The constant rate ends highest of all: the large rate keeps the loss jittering.")
    expect(v == "cosine", "Another schedule ends lower: compare the final losses in the titles.")
