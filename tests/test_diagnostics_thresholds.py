"""The verdict's thresholds, held by measured networks (issue #20): each test fails if a threshold moves past a net.

One batch of 128 digits, 10 hidden layers of width 32, the key of chapter 11's exercises. Measured (backprop signal
input/last, largest update-to-weight ratio of one SGD step): He ReLU, lr 0.1: 0.87, 2.6e-2 (healthy); Xavier sigmoid:
4.3e-7 (vanishing); Xavier sigmoid with weights x4: 5.4e-3 (borderline: within 10x of 1e-3); He ReLU at lr 1e-5,
1e-3 and 1: updates 2.6e-7 (frozen), 2.6e-4 (healthy), 0.26 (exploding).
"""

from __future__ import annotations

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


def _report(spec, scale=1.0, lr=0.1, taps=True):
    return diagnose(
        mlp_loss(spec),
        spec.init_params(KEY, scale),
        BATCH,
        activations=capture() if taps else None,
        optimizer=optax.sgd(lr),
    )


def test_signal_threshold_between_healthy_borderline_and_vanishing_nets():
    healthy, sick, edge = _report(RELU), _report(SIGMOID), _report(SIGMOID, scale=4.0)
    assert healthy.status == "healthy", healthy.summary()
    assert sick.status == "vanishing", sick.summary()
    assert edge.status == "borderline", edge.summary()
    signal = list(edge.signal().values())
    ratio = signal[0] / signal[-1]
    assert verdict.SIGNAL_RATIO / verdict.BORDERLINE < 1 / ratio <= verdict.SIGNAL_RATIO, ratio
    assert any(r.status == "borderline" for r in edge.verdict.reasons)


@pytest.mark.parametrize(
    ("lr", "status"), [(1e-5, "vanishing"), (1e-3, "healthy"), (0.1, "healthy"), (1.0, "exploding")]
)
def test_update_thresholds_on_one_net_at_four_learning_rates(lr, status):
    """Weights only (no taps): the update-to-weight ratio alone decides; UPDATE_LOW and UPDATE_HIGH sit between these."""
    report = _report(RELU, lr=lr, taps=False)
    top = float(np.max(report.update_ratios))
    assert report.status == status, (lr, top, report.summary())
    assert report.verdict.notes[0].startswith("Diagnosis from the weights only")


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
