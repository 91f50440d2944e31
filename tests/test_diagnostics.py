"""The verdict of gradflow.diagnostics on six kinds of network, in four parameter styles.

Styles: plain nested dicts, Flax linen params, a Flax nnx module and an Equinox module, holding the same weights
(tests/diagnostics_nets.py), so the verdicts and the numbers must agree across styles.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradflow as gf
from diagnostics_nets import STYLES, batch, build, dense_net
from gradflow.diagnostics import capture, diagnose
from gradflow.diagnostics.models import mlp_loss, rnn_loss
from gradflow.models import mlp as networks
from gradflow.models import recurrent

pytest.importorskip("flax")
pytest.importorskip("equinox")

NETS = {
    "vanishing sigmoid MLP": (dense_net("sigmoid", 10, "sigmoid", 1.0), "vanishing"),
    "exploding large-init ReLU MLP": (dense_net("big", 10, "relu", 3.0), "exploding"),
    "NaN-producing net": (dense_net("nan", 6, "relu", 1.0, sqrt_at=3), "non-finite"),
    "healthy He-ReLU MLP": (dense_net("he", 10, "relu", 1.0), "healthy"),
    "plain deep sigmoid net": (dense_net("plain", 20, "sigmoid", 1.0), "vanishing"),
    "residual deep sigmoid net": (dense_net("residual", 20, "sigmoid", 1.0, residual=True), "healthy"),
}
XB = batch()
_DICT_REPORTS: dict[str, object] = {}


def _dict_report(name):
    if name not in _DICT_REPORTS:
        loss, params = build("dict", NETS[name][0])
        _DICT_REPORTS[name] = diagnose(loss, params, XB, activations=capture())
    return _DICT_REPORTS[name]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("name", list(NETS))
def test_verdict_in_every_style(name, style):
    net, expected = NETS[name]
    loss, params = build(style, net)
    report = diagnose(loss, params, XB, activations=capture())
    assert report.status == expected, f"{name} in {style} style: expected {expected}, got {report.verdict}\n{report}"
    assert len(report.layers) == len(net.weights), (
        f"{style}: expected one weight layer per dense layer, got {report.names}"
    )
    reference = _dict_report(name)
    if expected != "non-finite":
        np.testing.assert_allclose(
            report.grad_norms,
            reference.grad_norms,
            rtol=2e-4,
            err_msg=f"{style}: weight-gradient norms differ from the dict style",
        )
        np.testing.assert_allclose(
            list(report.signal().values()), list(reference.signal().values()), rtol=2e-4,
            err_msg=f"{style}: backprop signal differs from the dict style",
        )  # fmt: skip
    if report.verdict.reasons and report.verdict.reasons[0].rule in ("signal", "forward"):
        assert report.verdict.layer == reference.verdict.layer, (
            f"{style}: the verdict names {report.verdict.layer}, the dict style {reference.verdict.layer}"
        )


def test_nan_net_names_the_layer():
    report = _dict_report("NaN-producing net")
    assert report.verdict.layer == "h4", (
        f"the sqrt is in the 4th hidden layer; the verdict names {report.verdict.layer}"
    )
    assert any(r.rule == "forward" for r in report.verdict.reasons), "the NaN is made in the forward pass"
    assert report.verdict.fixes[0].chapter == 11, "first fix for a NaN: find the operation that makes it"


def test_vanishing_sigmoid_reasons_and_fixes():
    report = _dict_report("vanishing sigmoid MLP")
    rules = {r.rule for r in report.verdict.reasons}
    assert {"signal", "gradient"} <= rules, f"both the signal and the weight-gradient ratio should fire; got {rules}"
    chapters = [f.chapter for f in report.verdict.fixes]
    assert 4 in chapters, f"ReLU (ch 4) should be suggested; got {chapters}"
    assert 5 not in chapters, f"the weights already have the fan-in scale: no initialization fix (ch 5); got {chapters}"
    assert 9 not in chapters, "gradient clipping does not fix vanishing gradients and must not be suggested"


def test_exploding_relu_is_invisible_to_weight_gradient_ratios():
    """In a ReLU net a bad scale moves all layers' weight gradients together: their first/last ratio cannot see it,
    the signal and the absolute gradient-to-weight ratios can."""
    report = _dict_report("exploding large-init ReLU MLP")
    g = report.grad_ratios
    assert 0.1 < g[0] / g[-1] < 10, f"first/last gradient-to-weight ratio should stay near one, got {g[0] / g[-1]:.2e}"
    s = list(report.signal().values())
    assert s[0] / s[-1] > 1e3, (
        f"the backprop signal should grow by more than 1e3 towards the input, got {s[0] / s[-1]:.2e}"
    )
    loss, params = build("dict", NETS["exploding large-init ReLU MLP"][0])
    blind = diagnose(loss, params, XB)
    assert blind.status == "exploding" and [r.rule for r in blind.verdict.reasons] == ["gradient size"], (
        "without signal or optimizer only the absolute size of the gradient-to-weight ratios sees it"
    )
    assert any("ReLU" in n for n in blind.verdict.notes), "the weights-only note says what the first/last ratio misses"


def _sequences(T=100, n=32):
    """A long-lag task: the target is the first input of a sequence of T (batch first)."""
    x = jax.random.normal(jax.random.key(0), (n, T, 1))
    return x, x[:, 0, :]


@pytest.mark.parametrize("style", STYLES)
def test_rnn_vanishes_lstm_does_not(style):
    """Over 100 steps the tanh RNN's backprop signal vanishes; an LSTM with forget-gate bias 3 keeps it
    (gradflow.models.recurrent's networks)."""
    xs = _sequences()
    results = {}
    for kind in ("rnn", "lstm"):
        params = recurrent.init_rnn(jax.random.key(1), kind, 1, 32, 1, forget_bias=3.0)
        loss, params = _restyle(style, rnn_loss(kind), params)
        results[kind] = diagnose(loss, params, xs, activations=capture())
        signal = np.array(list(results[kind].signal().values()))
        assert len(signal) == 100, "one backprop-signal value per time step"
        model = gf.RNN(kind, 1, 32, forget_bias=3.0)
        reference = gf.backprop_signal(model, model.init_params(jax.random.key(1)), jnp.swapaxes(xs[0], 0, 1), xs[1])
        np.testing.assert_allclose(signal, reference, rtol=1e-4, err_msg=f"{style}: must equal gf.backprop_signal")
    assert results["rnn"].status == "vanishing", f"{style}: RNN should vanish\n{results['rnn']}"
    assert results["lstm"].status == "healthy", f"{style}: LSTM should keep the signal\n{results['lstm']}"
    assert any(f.chapter == 8 for f in results["rnn"].verdict.fixes), "for a vanishing RNN, suggest LSTM/GRU (ch 8)"


def test_lstm_forget_bias_one_still_vanishes_over_100_steps_but_far_less():
    xs = _sequences()
    ratio = {}
    for kind in ("rnn", "lstm"):
        params = recurrent.init_rnn(jax.random.key(1), kind, 1, 32, 1, forget_bias=1.0)
        s = list(diagnose(rnn_loss(kind), params, xs, activations=capture()).signal().values())
        ratio[kind] = s[0] / s[-1]
    assert ratio["lstm"] > 1e4 * ratio["rnn"], f"LSTM (bias 1) should keep far more signal than the RNN: {ratio}"


def test_plain_versus_residual_with_the_course_networks():
    """gradflow.models.mlp.MLP: a 20-layer plain sigmoid net vanishes; the residual version does not."""
    verdicts = {}
    for residual in (False, True):
        spec = networks.MLP(64, 32, 20, 10, "sigmoid", "xavier", residual=residual)
        report = diagnose(mlp_loss(spec), networks.init_mlp(jax.random.key(0), spec), XB, activations=capture())
        verdicts[residual] = report.status
    assert verdicts == {False: "vanishing", True: "healthy"}, verdicts


def _restyle(style, loss, params):
    """gradflow.models.recurrent's parameters in another container: linen-style dict, nnx module, Equinox module."""
    if style == "dict":
        return loss, params
    if style == "linen":
        return (lambda p, b: loss(p["params"], b)), {"params": params}
    if style == "nnx":
        from flax import nnx

        class Cell(nnx.Module):
            def __init__(self, p):
                self.W_x, self.W_h, self.b = (
                    nnx.Param(p["cell"]["W_x"]),
                    nnx.Param(p["cell"]["W_h"]),
                    nnx.Param(p["cell"]["b"]),
                )
                self.W, self.c = nnx.Param(p["out"]["W"]), nnx.Param(p["out"]["b"])

        def as_dict(m):
            return {
                "cell": {"W_x": m.W_x[...], "W_h": m.W_h[...], "b": m.b[...]},
                "out": {"W": m.W[...], "b": m.c[...]},
            }

        return (lambda m, b: loss(as_dict(m), b)), Cell(params)
    import equinox as eqx

    class Cell(eqx.Module):
        cell: dict
        out: dict
        activation: object = eqx.field(default=None)

    return (lambda m, b: loss({"cell": m.cell, "out": m.out}, b)), Cell(params["cell"], params["out"], np.tanh)
