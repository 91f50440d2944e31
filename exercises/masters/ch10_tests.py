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
        "q3": "Nesterov momentum and Adamax, written by hand",
    },
)


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


def _gradient_steps(shapes: dict, steps: int, seed: int) -> list[dict]:
    """steps random gradients on a dict of arrays; the entries of each leaf range over six decades in size."""
    rng = np.random.default_rng(seed)
    scales = {k: np.logspace(-6, 1, int(np.prod(shape))).reshape(shape) for k, shape in shapes.items()}
    return [
        {k: (rng.standard_normal(shape) * scales[k]).astype(np.float32) for k, shape in shapes.items()}
        for _ in range(steps)
    ]


def _run_learner(ns, kind: str, grads: list, *hyper) -> list:
    """The learner's updates, one per step, fed grads (their init on the first gradient's shapes)."""
    init, update = function(ns, f"{kind}_init"), function(ns, f"{kind}_update")
    state = init(grads[0])
    expect(state is not None, f"{kind}_init returned None: did you forget to `return` the state?")
    out = []
    for g in grads:
        result = update(g, state, *hyper)
        expect(
            isinstance(result, (tuple, list)) and len(result) == 2,
            f"{kind}_update should return a pair (updates, new state).",
        )
        step, state = result
        expect(
            isinstance(step, dict) and set(step) == set(g),
            f"{kind}_update's updates should have the gradients' shape (here a dict with keys {sorted(g)}).",
        )
        out.append({k: array(step[k], f"{kind}_update's update for {k!r}", shape=np.shape(g[k])) for k in g})
    return out


def _run_optax(optimizer, grads: list) -> list:
    state = optimizer.init(grads[0])
    out = []
    for g in grads:
        step, state = optimizer.update(jax.tree.map(jnp.asarray, g), state, g)
        out.append({k: np.asarray(v, np.float64) for k, v in step.items()})
    return out


def _largest_difference(mine: list, ref: list, upto: int | None = None) -> float:
    return max(float(np.max(np.abs(a[k] - b[k]))) for a, b in zip(mine[:upto], ref[:upto], strict=True) for k in a)


def _matches(mine: list, optimizer, grads: list, tol: float) -> bool:
    """Whether the learner's updates are optimizer's on grads (to spot the chapter's momentum or Adam, copied)."""
    return _largest_difference(mine, _run_optax(optimizer, grads)) < tol


@suite.test("q3", points=1)
def q3_nesterov(ns):
    """nesterov_update matches optax.sgd(0.1, momentum=0.9, nesterov=True) over 20 steps"""
    grads = _gradient_steps({"w": (3, 2)}, 20, 0)
    mine = _run_learner(ns, "nesterov", grads, 0.1, 0.9)
    ref = _run_optax(optax.sgd(0.1, momentum=0.9, nesterov=True), grads)
    expect(
        not _matches(mine, optax.sgd(0.1, momentum=0.9), grads, 1e-5),
        "These are plain momentum's updates, -learning_rate * v (the chapter's): Nesterov's step also looks ahead "
        "along the new velocity, as the formula in the question says.",
    )
    expect(
        _largest_difference(mine, ref, 1) < 1e-6,
        "Wrong first step: with a zero velocity the new velocity is g; put it into the step's formula "
        "(mind the sign: the update is added to the parameters).",
    )
    expect(
        _largest_difference(mine, ref) < 1e-5,
        "Right first step, wrong later ones: the velocity is mu * v + g (no (1 - mu) factor), the look-ahead uses "
        "the new velocity, and the new velocity (not the update) is the state you return.",
    )


@suite.test("q3", points=1)
def q3_adamax_first_steps(ns):
    """adamax_update matches optax.adamax(0.1) over the first 3 steps"""
    grads = _gradient_steps({"w": (3, 2)}, 3, 1)
    mine = _run_learner(ns, "adamax", grads, 0.1)
    ref = _run_optax(optax.adamax(0.1), grads)
    expect(
        _largest_difference(mine, ref, 1) < 1e-5,
        "Wrong first step: after bias correction m_hat = g, and u = |g| + eps, so the first update is about -lr "
        "times the sign of g. Did you divide m by 1 - b1**t with t = 1?",
    )
    expect(
        not _matches(mine, optax.adam(0.1), grads, 1e-5),
        "These are Adam's updates (the chapter's): Adamax divides by the running maximum u, not by sqrt(s_hat) + eps.",
    )
    expect(
        _largest_difference(mine, ref) < 1e-5,
        "Right first step, wrong second or third: update m and u from the previous state, count t up by one, and "
        "take u as the larger of b2 * u and |g| + eps (no bias correction for u).",
    )


@suite.test("q3", points=1, hidden=True)
def q3_long(ns):
    """both match optax over 20 steps on a dict of two arrays, tiny gradients included, other hyperparameters"""
    grads = _gradient_steps({"W": (4, 3), "b": (3,)}, 20, 2)  # 20 steps each: the grader allows 50 rounds of answers
    mine = _run_learner(ns, "nesterov", grads, 0.03, 0.5)
    expect(
        _largest_difference(mine, _run_optax(optax.sgd(0.03, momentum=0.5, nesterov=True), grads)) < 1e-6,
        "Nesterov momentum is not optax's over 20 steps on a dict of parameters with learning rate 0.03 and mu = 0.5.",
    )
    mine = _run_learner(ns, "adamax", grads, 0.01, 0.9, 0.99)
    ref = _run_optax(optax.adamax(0.01, b1=0.9, b2=0.99), grads)
    large = {k: np.max([np.abs(g[k]) for g in grads], axis=0) > 1e-3 for k in grads[0]}  # where eps cannot matter

    def wrong_where(where):
        return max(
            float(np.max(np.abs(a[k] - b[k])[where[k]], initial=0.0)) for a, b in zip(mine, ref, strict=True) for k in a
        )

    expect(
        wrong_where(large) < 1e-6,
        "Adamax is not optax's over 20 steps with b2 = 0.99, even where the gradients are large: does u decay by the "
        "b2 you are given, with no bias correction, and m by b1?",
    )
    expect(
        wrong_where({k: ~v for k, v in large.items()}) < 1e-6,
        "Adamax is wrong where the gradients are tiny (near eps = 1e-8): eps is added to |g| inside the maximum.",
    )


@suite.test("q3", points=1, hidden=True)
def q3_by_hand(ns):
    """nesterov_update and adamax_update are written by hand, without optax"""
    grads = {"w": np.ones(2, np.float32)}
    velocity = function(ns, "nesterov_init")(grads)
    expect(function(ns, "nesterov_update")(grads, velocity, 0.1, 0.9) is not None, "Write nesterov_update first.")
    state = function(ns, "adamax_init")(grads)
    expect(function(ns, "adamax_update")(grads, state, 0.1) is not None, "Write adamax_update first.")
    for name in ("nesterov_update", "adamax_update"):
        uses_none_of(ns, name, {"optax"}, "Write the update yourself.")
