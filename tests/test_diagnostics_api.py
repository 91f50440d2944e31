"""gradflow.diagnostics: measurements against independent computations, bad input, report output, the monitor."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from matplotlib.figure import Figure

from diagnostics_nets import batch, build, dense_net
from gradflow.diagnostics import Monitor, capture, diagnose, returned, tap, train_monitored
from gradflow.diagnostics.models import mlp_loss
from gradflow.measure.probes import backprop_signal, weight_gradient_norms
from gradflow.models.mlp import MLP, init_mlp, loss_fn

XB = batch()
SPEC = MLP(64, 32, 6, 10, activation="sigmoid", init="xavier")
PARAMS = init_mlp(jax.random.key(0), SPEC)


@pytest.fixture(scope="module")
def report():
    return diagnose(mlp_loss(SPEC), PARAMS, XB, activations=capture(), optimizer=optax.sgd(0.1))


def test_matches_gradients_module(report):
    np.testing.assert_allclose(
        list(report.signal().values()), backprop_signal(SPEC, PARAMS, *XB), rtol=1e-4,
        err_msg="the tapped backprop signal must equal probes.backprop_signal (probes on h_0..h_depth)",
    )  # fmt: skip
    np.testing.assert_allclose(report.grad_norms, weight_gradient_norms(SPEC, PARAMS, *XB), rtol=1e-5)
    assert report.names == [*(f"dense_{i:02d}/W" for i in range(1, 7)), "output/W"], report.names


def test_update_ratio_is_one_optax_step(report):
    grads = jax.grad(lambda p: loss_fn(SPEC, p, *XB))(PARAMS)
    updates, _ = optax.sgd(0.1).update(grads, optax.sgd(0.1).init(PARAMS), PARAMS)
    expected = [float(jnp.linalg.norm(updates[k]["W"]) / jnp.linalg.norm(PARAMS[k]["W"])) for k in SPEC.layer_names]
    np.testing.assert_allclose(report.update_ratios, expected, rtol=1e-5)
    np.testing.assert_allclose(
        report.update_ratios, 0.1 * report.grad_ratios, rtol=1e-5, err_msg="SGD: update = lr * grad"
    )


def test_dead_and_saturated_fractions():
    x = jnp.linspace(-1, 1, 64).reshape(8, 8)

    def loss(p, b):
        h = tap("relu", jax.nn.relu(b @ p["W"] + p["b"]), "relu")
        s = tap("sig", jax.nn.sigmoid(10 * (b @ p["W"])), "sigmoid")
        return jnp.mean(h) + jnp.mean(s)

    # units 0..3 get a large negative bias: dead for every example; 4..7 alive
    p = {"W": jnp.eye(8) * 0.1, "b": jnp.array([-5.0] * 4 + [5.0] * 4)}
    r = diagnose(loss, p, x, activations=capture())
    assert r.dead_fractions["relu"] == pytest.approx(0.5), r.dead_fractions
    sig = jax.nn.sigmoid(10 * (x @ p["W"]))
    expected = float(jnp.mean(sig * (1 - sig) < 0.025))
    assert r.saturated_fractions["sig"] == pytest.approx(expected), "saturated: derivative below 10% of its max"


def test_dead_layer_is_named():
    spec = MLP(64, 32, 4, 10, activation="relu", init="he")
    params = init_mlp(jax.random.key(0), spec)
    params["dense_03"]["b"] = params["dense_03"]["b"] - 100.0
    r = diagnose(mlp_loss(spec), params, XB, activations=capture())
    assert r.status == "vanishing", r
    assert any(x.rule == "dead" and x.layer == "h3" for x in r.verdict.reasons), r.verdict.reasons
    assert r.verdict.layer == "h3", f"the verdict names the first dead layer (the root cause), not {r.verdict.layer}"
    assert r.verdict.fixes[0].chapter == 4, "dead ReLUs: leaky ReLU (chapter 4) first"


def test_returned_activations():
    def loss(p, b):
        x, y = b
        h = jax.nn.relu(-(x**2) @ p["a"])
        logits = h @ p["b"]
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean(), {"h": h}

    p = {"a": jnp.ones((64, 8)), "b": jnp.ones((8, 10))}
    r = diagnose(loss, p, XB, activations=returned({"h": "relu"}))
    assert r.dead_fractions == {"h": 1.0}, "-(x**2) @ ones <= 0 kills every unit"
    assert not r.has_signal, "returned activations carry no backprop signal"


def test_tap_is_identity_outside_diagnose():
    h = jnp.arange(3.0)
    assert tap("x", h) is h


@pytest.mark.parametrize(
    ("loss", "params", "data", "error", "match"),
    [
        (lambda p, b: b[0] @ p["W"], {"W": jnp.ones((64, 3))}, XB, ValueError, "scalar"),
        (lambda p, b: {"loss": 1.0}, {"W": jnp.ones((64, 3))}, XB, TypeError, "scalar"),
        (lambda p, b: jnp.sum(b[0]), {"n": 3, "name": "x"}, XB, ValueError, "no floating-point arrays"),
        (lambda p, b: jnp.sum(b[0]), {"ints": jnp.arange(3)}, XB, ValueError, "no floating-point arrays"),
        (
            lambda p, b: jnp.mean(b[0] @ p["W"]),
            {"W": jnp.ones((64, 3))},
            (XB[0], XB[1][:100]),
            ValueError,
            "first .batch. dimension",
        ),
        (lambda p, b: jnp.mean(b[0] @ p["W"]), {"W": jnp.ones((10, 3))}, XB, ValueError, "batch's shapes match"),
        (lambda p, b: jnp.sum(jnp.arange(3)), {"W": jnp.ones((2, 2))}, XB, TypeError, "floating-point loss"),
    ],
    ids=["vector-loss", "dict-loss", "no-arrays", "int-arrays", "batch-rows", "batch-vs-model", "int-loss"],
)
def test_bad_input(loss, params, data, error, match):
    with pytest.raises(error, match=match):
        diagnose(loss, params, data)


def test_bad_arguments():
    with pytest.raises(TypeError, match="optax"):
        diagnose(mlp_loss(SPEC), PARAMS, XB, optimizer="adam")
    with pytest.raises(TypeError, match="capture"):
        diagnose(mlp_loss(SPEC), PARAMS, XB, activations=True)
    with pytest.raises(ValueError, match="no layer"):
        diagnose(lambda p, b: loss_fn(SPEC, p, *b), PARAMS, XB, activations=capture())
    with pytest.raises(ValueError, match="length"):
        tap("h", jnp.ones(2), index=0)
    with pytest.raises(ValueError, match="unknown kind"):
        tap("h", jnp.ones(2), "softplus")


def test_text_html_and_plot(report):
    text = report.summary()
    assert text.startswith("Verdict: VANISHING"), text[:80]
    assert "dense_01/W" in text and "h3" in text
    html = report._repr_html_()
    assert "<table>" in html and "Verdict: vanishing" in html
    assert "chapter 4, Activation derivative bounds" in html and 'href="../' not in html, (
        "fixes name their chapter (no relative links)"
    )
    fig = report.plot()
    assert isinstance(fig, Figure) and len(fig.axes) >= 3


def test_monitor_records_every_n_and_plots():
    net = dense_net("he", 4, "relu", 1.0)
    loss, params = build("dict", net)
    opt = optax.sgd(0.05)
    state = opt.init(params)
    mon = Monitor(params, every=5)
    step_fn = jax.jit(jax.value_and_grad(loss))
    for step in range(21):
        value, grads = step_fn(params, XB)
        updates, state = opt.update(grads, state, params)
        mon.record(step, params, grads, updates, loss=value)
        params = optax.apply_updates(params, updates)
    h = mon.history()
    assert list(h["steps"]) == [0, 5, 10, 15, 20]
    assert h["weight_norm"].shape == (5, 5) and h["update_ratio"].shape == (5, 5)
    assert h["weight_change"][0].max() == 0 and h["weight_change"][-1].min() > 0, "weights move away from the start"
    np.testing.assert_allclose(h["update_ratio"][0], 0.05 * h["grad_norm"][0] / h["weight_norm"][0], rtol=1e-5)
    fig = mon.plot()
    assert len(fig.axes) == 4
    with pytest.raises(ValueError, match="floating-point arrays"):
        mon.record(0, params, {"W": jnp.ones(3)})


def test_train_monitored_runs_gf_train_and_keeps_every_nth_step():
    """train_monitored (gf.train, records every step) keeps the rows a hand-written loop's Monitor records."""
    spec = MLP(64, 16, 3, 10, activation="relu", init="he")
    loss, params = mlp_loss(spec), init_mlp(jax.random.key(1), spec)
    x, y = XB
    opt = optax.sgd(0.05)
    trained, mon = train_monitored(loss, params, x, y, opt, 12, every=5, batch_size=32, key=jax.random.key(2))
    rows = jax.random.randint(jax.random.key(2), (12, 32), 0, x.shape[0])
    hand, state, p = Monitor(params, every=5), opt.init(params), params
    for step in range(12):
        value, grads = jax.value_and_grad(loss)(p, (x[rows[step]], y[rows[step]]))
        updates, state = opt.update(grads, state, p)
        hand.record(step, p, grads, updates, loss=value)
        p = optax.apply_updates(p, updates)
    got, want = mon.history(), hand.history()
    assert list(got["steps"]) == [0, 5, 10] and set(got) == set(want)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-4, atol=1e-7, err_msg=k)
    np.testing.assert_allclose(trained["dense_01"]["W"], p["dense_01"]["W"], rtol=1e-4, atol=1e-6)
    assert len(mon.plot().axes) == 4


def test_monitor_does_no_work_between_recorded_steps(monkeypatch):
    """Between every-th steps record() returns at once: no reduction is computed, nothing is copied to the host.

    (Its speed is a benchmark's business; what a test can pin is that the skipped steps cost nothing.)"""
    import gradflow.diagnostics.monitor as monitor_module

    net = dense_net("he", 4, "relu", 1.0)
    loss, params = build("dict", net)
    grads = jax.grad(loss)(params, XB)
    calls = []
    real = monitor_module._figures
    monkeypatch.setattr(monitor_module, "_figures", lambda *a: calls.append(1) or real(*a))
    monitor = Monitor(params, every=10)
    recorded = [monitor.record(i, params, grads, grads, loss=0.0) for i in range(25)]
    assert recorded == [i % 10 == 0 for i in range(25)]
    assert len(calls) == 3 and monitor.steps == [0, 10, 20], "one reduction per recorded step, none in between"
