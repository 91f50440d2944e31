"""The learner's check: which check failed, a hint that teaches the mistake, never the answer."""

from __future__ import annotations

import math
import re
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradflow.grading import Checker
from gradflow.grading.checker import GRADING_ENV
from gradflow.grading.checks import Failed, Suite, array, number, run_test
from gradflow.grading.suites import load_suite
from gradflow.models import worked_example as smallnet
from gradflow.training import descent

ROOT = Path(__file__).resolve().parents[1]
MASTERS = ROOT / "exercises" / "masters"


def sigmoid_prime(x):
    s = jax.nn.sigmoid(x)
    return s * (1 - s)


def test_correct_answer_passes_every_public_check():
    report = Checker("ch01")("q1", {"sigmoid_derivative": sigmoid_prime})
    assert report.passed and len(report.outcomes) == 2
    assert str(report).startswith("✔ q1 (the sigmoid's derivative): 2 of 2 public checks passed.")


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda x: jax.nn.sigmoid(x), "the sigmoid itself"),
        (lambda x: x * (1 - x), "applied the formula to x"),
        (lambda x: None, "forget to `return`"),
        (lambda x: jnp.sum(sigmoid_prime(x)), "shape (7,)"),
        (lambda x: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_failed_check_names_the_check_and_teaches_the_mistake(wrong, words):
    text = str(Checker("ch01")("q1", {"sigmoid_derivative": wrong}))
    assert "✘" in text and "Hint:" in text and words in text


def test_check_reads_the_callers_variables_and_knows_its_questions():
    notebook = {"Checker": Checker, "np": np}  # a notebook's globals
    exec(
        "check = Checker('ch02')\n"
        "critical_learning_rate = lambda a: 2 / float(np.linalg.eigvalsh(np.asarray(a)).max())\n"
        "report = check('q2')\n",
        notebook,
    )
    assert notebook["report"].passed
    check = notebook["check"]
    with pytest.raises(ValueError, match=r"\['q1', 'q2', 'q3', 'q4', 'q5'\]"):
        check("q9")
    with pytest.raises(ValueError, match="no public tests"):
        Checker("ch99")


def test_checks_do_nothing_while_grading(monkeypatch):
    monkeypatch.setenv(GRADING_ENV, "1")
    report = Checker("ch01")("q1", {})
    assert report.outcomes == () and "skipped while grading" in str(report)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, "forget to `return`"),
        (..., "replace the `...`"),
        (float("nan"), "NaN"),
        (math.inf, "infinite"),
        ("0.5", "not text"),
        (True, "boolean"),
        (np.ones(3), "single number"),
    ],
)
def test_number_helper_hints(value, words):
    with pytest.raises(Failed, match=re.escape(words)):
        number(value, "x")


def test_array_helper_hints():
    with pytest.raises(Failed, match=r"shape \(3,\)"):
        array(np.ones(4), "y", shape=(3,))
    with pytest.raises(Failed, match="inf"):
        array(np.array([1.0, np.inf]), "y")
    assert array([1, 2], "y").dtype == np.float64


def test_suite_rejects_unknown_questions_and_duplicates():
    suite = Suite("chx", {"q1": "t"})
    with pytest.raises(ValueError, match="unknown question"):
        suite.test("q2")
    suite.test("q1", points=2)(lambda ns: None)
    with pytest.raises(ValueError, match="duplicate"):
        suite.test("q1")(lambda ns: None)
    assert suite.max_points() == 2


# Wrong answers a learner might give, and text that would give the right answer away.
WRONG = {
    ("ch01", "q2"): ("ratio_first_last", [4.34e-7, 1.4468e-6, 5.5e-6, 6.0e5, 0.1, -1.0], r"1\.66|1\.67e"),
    ("ch01", "q3"): ("smallest_depth", [1, 4, 8, 20, 7], r"(?<![\d.\[, ])6(?![\d.])"),
    ("ch02", "q3"): ("steps_to_tol", [41, 60, 200, 0], r"\b8[123]\b"),
    ("ch02", "q4"): ("largest_converging_lr", [0.2, 0.25, 0.15, 0.02], r"0\.19\b"),
}


@pytest.mark.parametrize(("chapter", "question"), sorted(WRONG))
def test_hints_never_give_the_answer(chapter, question):
    suite = load_suite(MASTERS / f"{chapter}_tests.py", name=f"_t_{chapter}")
    name, wrong_values, answer = WRONG[(chapter, question)]
    messages = [run_test(t, {name: v}).message for v in wrong_values for t in suite.of(question)]
    assert all(messages) or any(messages)
    assert any(messages), "wrong answers must fail"
    for m in messages:
        assert not re.search(answer, re.sub(r"\[[^\]]*\]", "", m)), m


def test_hidden_reference_values_match_a_fresh_computation():
    import gradflow as gf

    digits = gf.data.digits()
    xb, yb = digits.x_train[:128], digits.y_train[:128]
    init_key = jax.random.split(jax.random.key(0))[0]
    spec = gf.MLP(64, 32, 10, 10, activation="sigmoid", init="xavier")
    norms = gf.weight_gradient_norms(spec, spec.init_params(init_key), xb, yb)
    suite = load_suite(MASTERS / "ch01_tests.py", name="_t_ref")
    q2 = next(t for t in suite.tests if t.name == "q2_value")
    assert run_test(q2, {"ratio_first_last": float(norms[0] / norms[-1])}).passed
    ratios = {}
    for depth in (4, 6):
        net = gf.MLP(64, 32, depth, 10, activation="sigmoid", init="xavier")
        s = gf.backprop_signal(net, net.init_params(init_key), xb, yb)
        ratios[depth] = float(s[0] / s[-1])
    assert ratios[4] > 1e-3 > ratios[6]  # so 6 is the smallest slider depth below 1e-3
    theta = np.pi / 6
    r = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    a = jnp.asarray(r @ np.diag([1.0, 10.0]) @ r.T, jnp.float32)
    w0 = jnp.array([-2.0, 1.5], jnp.float32)
    steps = {
        lr: int(np.argmax(np.asarray(descent.quadratic_loss(a, descent.gradient_descent(a, w0, lr, 200))) < 1e-6))
        for lr in (0.15, 0.19)
    }
    assert steps == {0.15: 41, 0.19: 82}


def test_smallnet_single_path_hint():
    suite = load_suite(MASTERS / "ch02_tests.py", name="_t_sp")
    test = next(t for t in suite.tests if t.name == "q1_hidden_layer")

    def one_path(params, x, t):
        grads = dict(smallnet.backprop(params, x, t))
        grads["w1"] = smallnet.single_path_dJ_dw1(params, x, t)
        return grads

    outcome = run_test(test, {"smallnet_gradients": one_path})
    assert not outcome.passed and "through O2 too" in outcome.message
    assert run_test(test, {"smallnet_gradients": smallnet.backprop}).passed
