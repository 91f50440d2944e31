"""The verdict: vanishing, exploding, non-finite or healthy, with reasons, thresholds and fixes.

The rules, in words (each threshold is a module constant):

* **non-finite**: the loss, a parameter, an activation or a gradient holds NaN
  or inf. The report names where it first appears: the first layer of the
  forward pass, or for gradients the layer nearest the output (backprop runs
  from the output, so that is where the NaN was made).
* **exploding / vanishing** are judged first from the **backprop signal**
  ||dL/dh_l|| across depth (or time): if the signal at the first tapped layer
  is more than ``SIGNAL_RATIO`` (1000) times the last one's, it explodes;
  less than 1/1000, it vanishes. This works for every activation. The
  **weight gradients** alone are not enough: in a ReLU net a bad weight scale
  multiplies all layers' weight gradients by the same factor, so their
  first/last ratio stays near one (chapters 3 and 5). They still catch
  saturating nets (sigmoid, tanh), whose first layers' gradient-to-weight
  ratios fall far below the last ones': below 1/``GRAD_RATIO`` is vanishing,
  above ``GRAD_RATIO`` exploding. Without an optimizer, their **absolute**
  size sees the badly scaled ReLU net: a median over the weight layers of
  ||dL/dW_l|| / ||W_l|| above ``GRAD_HIGH`` (10) is exploding.
* With an **optimizer**, the update-to-weight ratio of one step (healthy
  about 1e-3, Karpathy): above ``UPDATE_HIGH`` (3) in any layer, one step
  moves that layer by three times its own norm: exploding (or far too large
  a learning rate); below ``UPDATE_LOW`` (1e-5) in every layer, training is
  frozen. It replaces the absolute gradient rule, since it measures the same
  thing at the learning rate actually used.
* **Dead or saturated units**: more than ``UNIT_FRACTION`` (half) of a
  layer's ReLU units dead on the whole batch, or of its sigmoid/tanh outputs
  saturated (derivative below 10% of its maximum), blocks most of the
  gradient through that layer: vanishing.
* **Fixes** are the course's remedies for the status; initialization by the
  fan-in is left out when the hidden weights already have that scale
  (:func:`fan_in_scaled`), an adaptive optimizer when the model is trained
  with one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from gradflow.diagnostics.report import Report

SIGNAL_RATIO = 1e3
GRAD_RATIO = 1e3
GRAD_HIGH = 10.0
"""Without an optimizer: a median over weight layers of the gradient-to-weight ratio above this is exploding.
Calibrated on training runs of chapter 11's 10-layer ReLU net (SGD at 0.1 and 0.2): healthy He-initialized runs stay
below about 2 at every step; the 2 x He net (which diverges in every run at SGD rates 0.1 and 0.2) starts above 40, the
3 x He net in the thousands (tests/test_diagnostics_thresholds.py)."""
UPDATE_HIGH = 3.0
"""One optimizer step that changes some layer by more than this times its norm is exploding. Calibrated on training
runs, not on one step at initialization: healthy He-initialized ReLU runs at SGD rates 0.1 and 0.2 reach about 0.4-0.9
in single steps; exploding runs (2 x and 3 x He, all diverging) start above 10. Nets at the edge (1.5 x He, which
diverges at these rates) can start below it: one step's ratio does not separate them (chapter 11)."""
UPDATE_LOW = 1e-5
UPDATE_HEALTHY = 1e-3
UNIT_FRACTION = 0.5
FAN_IN_TOLERANCE = 1.5
"""The hidden weights count as already initialized by the fan-in when the median over layers of
mean(W^2) * fan_in lies within this factor of the target (2 for ReLU, He; 1 for sigmoid/tanh, LeCun/Xavier)."""
FAN_IN_TARGET = {"relu": 2.0, "sigmoid": 1.0, "tanh": 1.0}
BORDERLINE = 10.0
"""A measurement within this factor of a vanishing/exploding threshold, on the healthy side, makes the verdict
borderline when no rule fired (calibrated on measured nets: tests/test_diagnostics_thresholds.py)."""

STATUSES = ("non-finite", "exploding", "vanishing", "borderline", "healthy")

BOOK_URL = ""
"""Base URL of the published book (e.g. ``https://example.org/gradient-flow``); when set, fixes link to their
chapter's page. Empty: fixes name their chapter (a relative link would break in a learner's notebook)."""

CHAPTERS: dict[int, tuple[str, str]] = {
    3: ("Chain-rule products", "03_chain_rule_products"),
    4: ("Activation derivative bounds", "04_activation_derivatives"),
    5: ("Initialization", "05_initialization"),
    6: ("Batch normalization", "06_batch_normalization"),
    7: ("Residual connections", "07_residual_connections"),
    8: ("Recurrent networks, LSTMs and GRUs", "08_recurrent_networks"),
    9: ("Exploding gradients and clipping", "09_exploding_gradients_clipping"),
    10: ("Optimizers and learning-rate schedules", "10_optimizers_schedules"),
    11: ("Diagnosing gradient problems", "11_diagnosing"),
}
"""Chapter number -> (title, file name without .md) for the links of the fixes (a fix whose chapter
is not in the course is named without a link)."""


@dataclass(frozen=True)
class Reason:
    """One piece of evidence: which rule fired (``status``), where (``layer``), in words."""

    status: str
    rule: str
    layer: str | None
    text: str


@dataclass(frozen=True)
class Fix:
    """A remedy from the course and the chapter that develops it."""

    text: str
    chapter: int

    @property
    def where(self) -> str:
        """The chapter by number and title, e.g. ``chapter 5, Initialization`` (readable in any notebook)."""
        return (
            f"chapter {self.chapter}, {CHAPTERS[self.chapter][0]}"
            if self.chapter in CHAPTERS
            else f"chapter {self.chapter}"
        )

    @property
    def url(self) -> str | None:
        """The chapter's published page when ``BOOK_URL`` is set, else None (a relative link breaks in a learner's notebook)."""
        if not BOOK_URL or self.chapter not in CHAPTERS:
            return None
        return f"{BOOK_URL.rstrip('/')}/chapters/{CHAPTERS[self.chapter][1]}.html"

    @property
    def label(self) -> str:
        """The chapter's MyST label, e.g. ``ch5``."""
        return f"ch{self.chapter}"


@dataclass
class Verdict:
    """``status`` (one of STATUSES), the ``layer`` it names, the ``reasons``, ``notes`` and ``fixes``."""

    status: str
    layer: str | None
    reasons: list[Reason] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)

    def __str__(self) -> str:
        where = f" (layer {self.layer})" if self.layer else ""
        return f"{self.status}{where}"


FIXES = {
    "relu": Fix("Use ReLU-family activations (leaky ReLU, GELU): their derivative is 1 where active, not at most 1/4", 4),
    "leaky": Fix("Use leaky ReLU, whose units never die, or a smaller learning rate", 4),
    "init": Fix("Initialize by the fan-in: He for ReLU, Xavier/LeCun for tanh and sigmoid", 5),
    "init_small": Fix("Use a smaller initial weight scale (Xavier/He), which keeps sigmoid and tanh in their linear middle", 5),
    "bn": Fix("Add batch normalization between layers", 6),
    "residual": Fix("Add residual connections h + F(h), which give the gradient a path around every layer", 7),
    "lstm": Fix("Replace the plain RNN by an LSTM or GRU (forget-gate bias 1)", 8),
    "clip": Fix("Clip the gradient by its global norm (optax.clip_by_global_norm); this does not help vanishing gradients", 9),
    "lr_down": Fix("Lower the learning rate, or warm it up (optax schedules)", 10),
    "adam": Fix("Use an adaptive optimizer (Adam) that rescales small gradients, while they stay well above its eps", 10),
    "debug_nans": Fix("Find the operation that makes the NaN (log, sqrt, division, exp) at the named layer; "
                      "jax.config.update('jax_debug_nans', True) stops at it", 11),
}  # fmt: skip


def _fmt(x: float) -> str:
    return f"{x:.1e}"


def _signal_series(report: Report) -> tuple[list[str], np.ndarray]:
    names, values = [], []
    for t in report.taps:
        if t.signal is None:
            continue
        if t.indexed:
            names += [f"{t.name}[{i}]" for i in range(len(t.signal))]
        else:
            names.append(t.name)
        values += list(t.signal)
    return names, np.asarray(values, dtype=float)


def judge(report: Report) -> Verdict:
    """Apply the rules of this module to ``report``."""
    reasons: list[Reason] = []
    notes: list[str] = []
    _non_finite(report, reasons)
    if not reasons:
        _signal_rule(report, reasons)
        _gradient_rule(report, reasons)
        _gradient_size_rule(report, reasons)
        _update_rule(report, reasons, notes)
        _unit_rule(report, reasons)
    if not report.has_signal:
        notes.insert(
            0,
            "Diagnosis from the weights only: no backprop signal was measured (it needs tap(name, h) calls in the model "
            "and activations=capture()). A bad weight scale in a ReLU net moves every layer's weight gradient by the "
            "same factor, so the first/last comparison of weight gradients cannot see it"
            + (
                "; the update-to-weight ratios still see it."
                if report.has_optimizer
                else f"; only their absolute size can (median gradient-to-weight ratio above {GRAD_HIGH:g}), so "
                "pass the optimizer too (update-to-weight ratios at your learning rate)."
            ),
        )
    if report.adaptive and status_hint(reasons) == "vanishing":
        notes.append(
            "The optimizer already rescales each coordinate by its gradient history (Adam-like), so an adaptive "
            "optimizer is not listed as a fix; its eps bounds how small a gradient it can rescale (chapter 10)."
        )
    status = "healthy"
    for candidate in STATUSES[:3]:
        if any(r.status == candidate for r in reasons):
            status = candidate
            break
    if status in ("exploding", "vanishing"):
        # the backprop signal is the direct measurement: let it decide when it fired
        signal = [r for r in reasons if r.rule == "signal"]
        if signal:
            status = signal[0].status
    side = None
    if status == "healthy":
        side = _borderline(report, reasons)
        if side:
            status = "borderline"
    main = [r for r in reasons if r.status == status]
    for r in reasons:
        if r.status != status:
            notes.append(f"Also: {r.text}")
    # name the root cause: the first dead or saturated layer (the layers after it die with it), else the first reason
    units = [r for r in main if r.rule in ("dead", "saturated")]
    layer = units[0].layer if units else main[0].layer if main else None
    fixes = _fixes(report, side or status, main)
    if (side or status) != "healthy" and fan_in_scaled(report):
        notes.append(
            "The hidden weights already have the fan-in scale of their activation (He for ReLU, LeCun/Xavier for "
            "sigmoid and tanh), so initialization by the fan-in is not listed as a fix."
        )
    return Verdict(status, layer, main, notes, fixes)


def fan_in_scaled(report: Report) -> bool:
    """Whether the hidden weight matrices already have the fan-in scale the init fix would give them.

    The median over hidden weight layers (all but the last) of mean(W^2) * fan_in, within ``FAN_IN_TOLERANCE`` of
    ``FAN_IN_TARGET`` for the tapped activation kind (one kind only). The fan-in is the input axis of a dense
    (in, out) kernel, or its other axis for an (out, in) weight; either orientation that fits counts.
    """
    kinds = {t.kind for t in report.taps if t.kind in FAN_IN_TARGET}
    hidden = [lay for lay in report.layers[:-1] if lay.shape and len(lay.shape) >= 2]
    if len(kinds) != 1 or not hidden:
        return False
    target = FAN_IN_TARGET[kinds.pop()]
    for fan_of in (lambda s: math.prod(s[:-1]), lambda s: math.prod(s[1:])):
        scaled = [lay.weight_norm**2 / math.prod(lay.shape) * fan_of(lay.shape) for lay in hidden]
        if 1 / FAN_IN_TOLERANCE <= float(np.median(scaled)) / target <= FAN_IN_TOLERANCE:
            return True
    return False


def status_hint(reasons: list[Reason]) -> str:
    """The first status among ``reasons`` in the order of STATUSES (healthy if none)."""
    return next((c for c in STATUSES[:3] if any(r.status == c for r in reasons)), "healthy")


def _borderline(report: Report, reasons: list[Reason]) -> str | None:
    """Borderline reasons (within BORDERLINE of a threshold); returns the side they lean to, or None."""
    found: list[tuple[str, Reason]] = []
    names, s = _signal_series(report)
    if len(s) >= 2 and s[-1] > 0:
        rel = s[0] / s[-1]
        if 1 / SIGNAL_RATIO <= rel < BORDERLINE / SIGNAL_RATIO or SIGNAL_RATIO / BORDERLINE < rel <= SIGNAL_RATIO:
            side = "vanishing" if rel < 1 else "exploding"
            found.append((side, Reason("borderline", "signal", names[0],
                f"the backprop signal at {names[0]} is {_fmt(rel)} times the one at {names[-1]}: within a factor "
                f"{BORDERLINE:.0f} of the {side} threshold ({_fmt(SIGNAL_RATIO ** (-1 if rel < 1 else 1))})")))  # fmt: skip
    layers = report.layers
    if not report.has_signal and len(layers) >= 2 and layers[-1].grad_ratio > 0:  # a measured signal decides
        rel = layers[0].grad_ratio / layers[-1].grad_ratio
        if 1 / GRAD_RATIO <= rel < BORDERLINE / GRAD_RATIO:
            found.append(("vanishing", Reason("borderline", "gradient", layers[0].name,
                f"the gradient-to-weight ratio of {layers[0].name} is {_fmt(rel)} times that of {layers[-1].name}: "
                f"within a factor {BORDERLINE:.0f} of the vanishing threshold (1/{GRAD_RATIO:.0f})")))  # fmt: skip
    if report.has_optimizer and layers:
        top = max(lay.update_ratio for lay in layers)
        if UPDATE_LOW <= top < BORDERLINE * UPDATE_LOW:
            found.append(("vanishing", Reason("borderline", "update", None,
                f"one optimizer step changes no layer by more than {_fmt(top)} of its norm: within a factor "
                f"{BORDERLINE:.0f} of the frozen threshold ({UPDATE_LOW:g}); about {UPDATE_HEALTHY:g} is healthy")))  # fmt: skip
    reasons += [r for _, r in found]
    return found[0][0] if found else None


def _non_finite(report: Report, reasons: list[Reason]) -> None:
    if report.nonfinite_params:
        name = report.nonfinite_params[0]
        reasons.append(Reason("non-finite", "params", name, f"the parameters already hold NaN/inf, first at {name}"))
    bad_values = [t.name for t in report.taps if not t.value_finite]
    if bad_values:
        reasons.append(
            Reason(
                "non-finite",
                "forward",
                bad_values[0],
                f"the forward pass first produces NaN/inf at layer {bad_values[0]}",
            )
        )
    if not math.isfinite(report.loss):
        reasons.append(Reason("non-finite", "loss", None, f"the loss is {report.loss}"))
    if report.nonfinite_grads:
        name = report.nonfinite_grads[-1]
        reasons.append(Reason(
            "non-finite", "gradient", name,
            f"the weight gradient first becomes NaN/inf at {name} (counting back from the output, the way backprop runs); "
            f"{len(report.nonfinite_grads)} parameter arrays have non-finite gradients",
        ))  # fmt: skip
    bad_signal = [t.name for t in report.taps if not t.signal_finite]
    if bad_signal and not bad_values:
        reasons.append(
            Reason(
                "non-finite", "signal", bad_signal[-1], f"the backprop signal first becomes NaN/inf at {bad_signal[-1]}"
            )
        )


def _signal_rule(report: Report, reasons: list[Reason]) -> None:
    names, s = _signal_series(report)
    if len(s) < 2:
        return
    last = s[-1]
    if last == 0:
        return
    rel = s / last
    if rel[0] < 1 / SIGNAL_RATIO:
        where = names[int(np.nonzero(rel < 1 / SIGNAL_RATIO)[0][-1])]
        reasons.append(Reason(
            "vanishing", "signal", where,
            f"the backprop signal ||dL/dh|| at {names[0]} is {_fmt(rel[0])} times the one at {names[-1]} (threshold "
            f"1/{SIGNAL_RATIO:.0f}); from {where} back it is below that threshold",
        ))  # fmt: skip
    elif rel[0] > SIGNAL_RATIO:
        where = names[int(np.nonzero(rel > SIGNAL_RATIO)[0][-1])]
        reasons.append(Reason(
            "exploding", "signal", where,
            f"the backprop signal ||dL/dh|| at {names[0]} is {_fmt(rel[0])} times the one at {names[-1]} (threshold "
            f"{SIGNAL_RATIO:.0f}); from {where} back it is above that threshold",
        ))  # fmt: skip


def _gradient_rule(report: Report, reasons: list[Reason]) -> None:
    layers = report.layers
    if len(layers) < 2 or layers[-1].grad_ratio == 0:
        return
    rel = np.array([lay.grad_ratio for lay in layers]) / layers[-1].grad_ratio
    first, last = layers[0].name, layers[-1].name
    if rel[0] < 1 / GRAD_RATIO:
        where = layers[int(np.nonzero(rel < 1 / GRAD_RATIO)[0][-1])].name
        reasons.append(Reason(
            "vanishing", "gradient", where,
            f"the gradient-to-weight ratio of {first} is {_fmt(rel[0])} times that of {last} (threshold 1/{GRAD_RATIO:.0f}): "
            f"with one learning rate, {first} learns that much slower",
        ))  # fmt: skip
    elif rel[0] > GRAD_RATIO:
        reasons.append(Reason(
            "exploding", "gradient", first,
            f"the gradient-to-weight ratio of {first} is {_fmt(rel[0])} times that of {last} (threshold {GRAD_RATIO:.0f})",
        ))  # fmt: skip


def _gradient_size_rule(report: Report, reasons: list[Reason]) -> None:
    """Without an optimizer: the median gradient-to-weight ratio above GRAD_HIGH (a bad scale in a ReLU net)."""
    if report.has_optimizer or not report.layers:
        return
    g = np.array([lay.grad_ratio for lay in report.layers], dtype=float)
    med = float(np.median(g))
    if med > GRAD_HIGH:
        top = report.layers[int(np.argmax(g))].name
        reasons.append(Reason(
            "exploding", "gradient size", None,  # a property of the whole net's scale, not of one layer
            f"the median gradient-to-weight ratio over the weight layers is {_fmt(med)} (threshold {GRAD_HIGH:g}; "
            f"largest at {top}): SGD at learning rate 0.1 would move a typical layer by {_fmt(0.1 * med)} of its norm "
            "in one step",
        ))  # fmt: skip


def _update_rule(report: Report, reasons: list[Reason], notes: list[str]) -> None:
    if not report.has_optimizer or not report.layers:
        return
    u = np.array([lay.update_ratio for lay in report.layers], dtype=float)
    top = report.layers[int(np.argmax(u))].name
    if u.max() > UPDATE_HIGH:
        reasons.append(Reason(
            "exploding", "update", top,
            f"one optimizer step changes {top} by {_fmt(u.max())} of its norm (threshold {UPDATE_HIGH:g}; about "
            f"{UPDATE_HEALTHY:g} is healthy)",
        ))  # fmt: skip
    elif u.max() < UPDATE_LOW:
        reasons.append(Reason(
            "vanishing", "update", top,
            f"one optimizer step changes no layer by more than {_fmt(u.max())} of its norm (at {top}; threshold "
            f"{UPDATE_LOW:g}, about {UPDATE_HEALTHY:g} is healthy): training is frozen",
        ))  # fmt: skip
    else:
        med = float(np.median(u))
        notes.append(f"Median update-to-weight ratio {_fmt(med)} per step (about {UPDATE_HEALTHY:g} is healthy).")


def _unit_rule(report: Report, reasons: list[Reason]) -> None:
    for t in report.taps:
        if t.dead is not None and t.dead > UNIT_FRACTION:
            reasons.append(Reason(
                "vanishing", "dead", t.name,
                f"{t.dead:.0%} of the ReLU units of {t.name} are dead (zero on the whole batch; threshold "
                f"{UNIT_FRACTION:.0%}): no gradient flows through them",
            ))  # fmt: skip
        if t.saturated is not None and t.saturated > UNIT_FRACTION:
            reasons.append(Reason(
                "vanishing", "saturated", t.name,
                f"{t.saturated:.0%} of the {t.kind} outputs of {t.name} are saturated (derivative below 10% of its "
                f"maximum; threshold {UNIT_FRACTION:.0%})",
            ))  # fmt: skip


def _fixes(report: Report, status: str, reasons: list[Reason]) -> list[Fix]:
    kinds = {t.kind for t in report.taps if t.kind}
    recurrent = any(t.indexed for t in report.taps)
    rules = {r.rule for r in reasons}
    keys: list[str] = []
    if status == "non-finite":
        keys = ["debug_nans", "lr_down", "clip", "init"]
    elif status == "exploding":
        keys = ["clip", "lr_down", "init", "bn"] if recurrent else ["init", "lr_down", "clip", "bn"]
    elif status == "vanishing":
        if recurrent:
            keys = ["lstm", "init"]
        elif "dead" in rules:
            keys = ["leaky", "init", "lr_down"]
        elif "saturated" in rules:
            keys = ["init_small", "relu", "bn"]
        elif kinds and kinds <= {"relu"}:
            keys = ["init", "bn", "residual"]
        else:
            keys = ["relu", "init", "bn", "residual", "adam"]
    if report.adaptive:  # the model is already trained with an adaptive optimizer: do not suggest one
        keys = [k for k in keys if k != "adam"]
    if "init" in keys and fan_in_scaled(report):  # the weights already have the scale this fix would give them
        keys = [k for k in keys if k != "init"]
    return [FIXES[k] for k in dict.fromkeys(keys)]
