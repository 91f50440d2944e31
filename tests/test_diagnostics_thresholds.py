"""The verdict's thresholds, held by measured networks (issue #20): each test fails if a threshold moves past a net.

One batch of 128 digits, hidden layers of width 32, the key of chapter 11's exercises. Each threshold sits between a
measured healthy value and a measured sick one, and the tests assert a margin on both sides, so moving a threshold
past either net fails:

* SIGNAL_RATIO (backprop signal input/last): He ReLU 0.87 (healthy); Xavier sigmoid with weights x4 5.4e-3
  (borderline: within 10x of 1e-3); Xavier sigmoid 4.3e-7 (vanishing).
* GRAD_RATIO (gradient-to-weight ratio first/last, weights only): 3-layer Xavier sigmoid 1.7e-2 (healthy, outside
  the borderline band up to 1e-2); 8-layer 1.7e-5 (vanishing).
* UPDATE_HIGH (largest update-to-weight ratio of one step): the He ReLU net trained 100 full-batch steps with SGD at
  0.1 stays far below it in every layer at every step; the 2 x He net (which diverges in training) changes a layer by about 30 times
  its norm in its first step at rate 0.1. UPDATE_LOW: He ReLU at rates 1e-5 (2.6e-7, frozen) and 1e-3 (2.6e-4).
* GRAD_HIGH (median gradient-to-weight ratio, weights only, no optimizer): He ReLU 0.15 at initialization and below
  about 1 at every step of that training run; 2 x He 1.4e2 (exploding).
* UNIT_FRACTION (dead ReLU units, largest over layers): He ReLU at initialization 0.38 (healthy: it trains); the
  same net with one layer's biases shifted by -50 (graded q2's net) 1.0 there. The healthy margin is small (1.25): a
  healthy deep ReLU net already has a third of some layer's units dead on a batch of 128.
"""

from __future__ import annotations

from functools import cache

import jax
import numpy as np
import optax
import pytest

import gradflow as gf
from gradflow.diagnostics import capture, diagnose, verdict
from gradflow.diagnostics.models import mlp_loss

DIGITS = gf.data.digits()
BATCH = (DIGITS.x_train[:128], DIGITS.y_train[:128])
KEY = jax.random.split(jax.random.key(0))[0]
RELU = gf.MLP(64, 32, 10, 10, activation="relu", init="he")
SIGMOID = gf.MLP(64, 32, 10, 10, activation="sigmoid", init="xavier")
MARGIN = 3.0
"""Every threshold is at least this factor from the measured net on either side of it."""
SGD = cache(optax.sgd)
"""One optimizer object per learning rate: diagnoses of nets of the same shapes then share one compiled pass."""


def _report(spec, scale=1.0, lr=0.1, taps=True, params=None):
    return diagnose(
        mlp_loss(spec),
        spec.init_params(KEY, scale) if params is None else params,
        BATCH,
        activations=capture() if taps else None,
        optimizer=None if lr is None else SGD(lr),
    )


TRAIN_RATE = 0.1


@pytest.fixture(scope="module")
def trained():
    """The He ReLU net trained 100 full-batch SGD steps on BATCH at rate 0.1 (healthy: the loss falls):
    update-to-weight ratios (steps, layers) and losses (steps,)."""
    records = {"loss": gf.RECORDS["loss"], "update_ratios": gf.RECORDS["update_ratios"]}
    _, history = gf.train(
        mlp_loss(RELU), RELU.init_params(KEY), optax.sgd(TRAIN_RATE), gf.full_batch(BATCH, 100), record=records
    )
    return np.asarray(history["update_ratios"]), np.asarray(history["loss"])


def test_signal_threshold_between_healthy_borderline_and_vanishing_nets():
    healthy, sick, edge = _report(RELU), _report(SIGMOID), _report(SIGMOID, scale=4.0)
    assert healthy.status == "healthy", healthy.summary()
    assert sick.status == "vanishing", sick.summary()
    assert edge.status == "borderline", edge.summary()
    signal = list(edge.signal().values())
    ratio = signal[0] / signal[-1]
    assert verdict.SIGNAL_RATIO / verdict.BORDERLINE < 1 / ratio <= verdict.SIGNAL_RATIO, ratio
    assert any(r.status == "borderline" for r in edge.verdict.reasons)


def test_grad_ratio_threshold_between_a_shallow_and_a_deep_sigmoid_net():
    """Weights only, no optimizer: the first/last gradient-to-weight ratio alone decides."""
    rel = {}
    for depth, status in ((3, "healthy"), (8, "vanishing")):
        spec = gf.MLP(64, 32, depth, 10, activation="sigmoid", init="xavier")
        report = _report(spec, lr=None, taps=False)
        g = report.grad_ratios
        rel[depth] = g[0] / g[-1]
        assert report.status == status, (depth, rel[depth], report.summary())
    assert rel[8] * MARGIN < 1 / verdict.GRAD_RATIO, rel
    assert rel[3] > verdict.BORDERLINE / verdict.GRAD_RATIO * 1.5, rel  # healthy: also outside the borderline band


@pytest.mark.parametrize(("lr", "status"), [(1e-5, "vanishing"), (1e-3, "healthy"), (0.1, "healthy")])
def test_update_low_on_one_net_at_three_learning_rates(lr, status):
    """Weights only (no taps): the update-to-weight ratio alone decides; UPDATE_LOW sits between these."""
    report = _report(RELU, lr=lr, taps=False)
    top = float(np.max(report.update_ratios))
    assert report.status == status, (lr, top, report.summary())
    assert report.verdict.notes[0].startswith("Diagnosis from the weights only")
    if lr == 1e-5:
        assert top * MARGIN < verdict.UPDATE_LOW, top
    if lr == 1e-3:
        assert top > verdict.UPDATE_LOW * verdict.BORDERLINE * 2, top  # healthy: outside the borderline band


def test_update_high_between_healthy_training_steps_and_an_exploding_net(trained):
    """Healthy training steps (He ReLU at rate 0.1, all 100 steps) stay below UPDATE_HIGH; 2 x He's first step is far
    above it (the 2 x He net diverges in training even at rate 0.01)."""
    ratios, losses = trained
    assert np.all(np.isfinite(losses)) and losses[-10:].mean() < 1.0, losses[-10:]
    healthy_top = float(ratios.max())
    assert healthy_top * MARGIN < verdict.UPDATE_HIGH, healthy_top
    big = _report(RELU, scale=2.0, lr=0.1, taps=False)
    assert big.status == "exploding" and big.verdict.reasons[0].rule == "update", big.summary()
    assert float(np.max(big.update_ratios)) > verdict.UPDATE_HIGH * MARGIN, big.update_ratios


def test_grad_high_between_healthy_and_exploding_nets_without_an_optimizer(trained):
    """No taps, no optimizer: the median gradient-to-weight ratio sees the badly scaled ReLU net."""
    ratios, _ = trained
    healthy_training = float((np.median(ratios, axis=-1) / TRAIN_RATE).max())  # SGD: update = lr * gradient
    healthy, big = _report(RELU, lr=None, taps=False), _report(RELU, scale=2.0, lr=None, taps=False)
    assert healthy.status == "healthy", healthy.summary()
    assert big.status == "exploding" and big.verdict.reasons[0].rule == "gradient size", big.summary()
    healthy_top = max(healthy_training, float(np.median(healthy.grad_ratios)))
    assert healthy_top * MARGIN < verdict.GRAD_HIGH < float(np.median(big.grad_ratios)) / MARGIN, (
        healthy_top,
        np.median(big.grad_ratios),
    )


def test_unit_fraction_between_a_healthy_and_a_dead_relu_net():
    """He ReLU at initialization (it trains) against the same net with one layer's biases shifted by -50 (graded q2)."""
    params = RELU.init_params(KEY)
    healthy = _report(RELU, lr=None, params=params)
    params["dense_04"]["b"] = params["dense_04"]["b"] - 50.0
    dead = _report(RELU, lr=None, params=params)
    assert healthy.status == "healthy", healthy.summary()
    assert dead.status == "vanishing" and dead.verdict.layer == "h4", dead.summary()
    low, high = max(healthy.dead_fractions.values()), dead.dead_fractions["h4"]
    assert low * 1.25 < verdict.UNIT_FRACTION < high / 1.25, (low, high)


def test_adaptive_optimizer_is_not_advised_to_a_model_trained_with_adam():
    sgd = _report(SIGMOID)
    adam = diagnose(
        mlp_loss(SIGMOID), SIGMOID.init_params(KEY), BATCH, activations=capture(), optimizer=optax.adam(1e-3)
    )
    assert any(f.chapter == 10 and "Adam" in f.text for f in sgd.verdict.fixes)
    assert not any("Adam" in f.text for f in adam.verdict.fixes), [f.text for f in adam.verdict.fixes]


def test_summary_keeps_layer_names_and_bad_opt_state_is_explained():
    report = _report(SIGMOID)
    assert report.summary().splitlines()[0].startswith("Verdict: VANISHING (layer h"), report.summary()[:60]
    with pytest.raises(TypeError, match="structure of optimizer.init"):
        diagnose(
            mlp_loss(RELU), RELU.init_params(KEY), BATCH, optimizer=optax.adam(1e-3), opt_state=optax.sgd(0.1).init({})
        )


def test_init_fix_only_for_weights_off_the_fan_in_scale():
    """The sigmoid net already has the Xavier scale: no init fix (a note says why); 3 x He and LeCun-scaled ReLU do not."""
    sick = _report(SIGMOID)
    assert verdict.fan_in_scaled(sick) and verdict.fan_in_scaled(_report(RELU))
    assert not any(f.chapter == 5 for f in sick.verdict.fixes), [f.text for f in sick.verdict.fixes]
    assert any("fan-in scale" in n for n in sick.verdict.notes)
    assert not verdict.fan_in_scaled(_report(RELU, scale=2**-0.5))  # LeCun variance in a ReLU net: half of He
    big = _report(RELU, scale=3.0)
    assert big.status == "exploding" and big.verdict.fixes[0].chapter == 5


def test_histograms_show_activations_signal_and_weight_gradients_on_shared_axes():
    report = _report(SIGMOID)
    fig = report.histograms()
    axes = fig.get_axes()
    assert [ax.get_title() for ax in axes] == ["forward activations", "backprop signal", "weight gradients"]
    labels = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert len(labels) == 10 and all("saturated" in t for t in labels), labels
    assert all(t.signal_sample is not None for t in report.taps)
    weights_only = _report(RELU, taps=False).histograms()
    assert [ax.get_title() for ax in weights_only.get_axes()] == ["weight gradients"]
