"""Public tests of the ch10 graded exercises.

Generated from exercises/masters/ch10_tests.py by ``python -m gradflow.grading generate``: do not edit.
"""

import jax.numpy as jnp
import numpy as np

from gradflow.grading.checks import Suite, answer, array, close, expect, function, number

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


# ---- q3 ---------------------------------------------------------------------------------------------


@suite.test("q3", points=1)
def q3_on_slider(ns):
    """best_schedule is one of the slider's names"""
    v = answer(ns, "best_schedule")
    expect(isinstance(v, str), 'best_schedule should be a string as the slider shows it, e.g. "step".')
    expect(v.strip() in NAMES, f"best_schedule should be one of the slider's values {list(NAMES)}.")
