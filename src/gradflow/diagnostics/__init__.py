"""Diagnose your own network: a gradient-health report and verdict for any JAX model.

    from gradflow.diagnostics import diagnose, capture, tap
    report = diagnose(loss_fn, params, batch, activations=capture(), optimizer=optax.adam(1e-3))
    report            # HTML summary in a notebook; print(report) for text
    report.verdict    # vanishing / exploding / non-finite / healthy, with reasons and fixes
    report.plot()

``params`` may be nested dicts and lists of arrays (as Flax linen makes), a
Flax nnx module or an Equinox module. :class:`Monitor` records the same
figures every N steps of a training loop and plots them against steps.
"""

from gradflow.diagnostics.capture import Capture, capture, returned, tap
from gradflow.diagnostics.core import diagnose
from gradflow.diagnostics.monitor import Monitor, train_monitored
from gradflow.diagnostics.report import LayerStats, Report, TapStats
from gradflow.diagnostics.verdict import (
    GRAD_HIGH,
    GRAD_RATIO,
    SIGNAL_RATIO,
    UNIT_FRACTION,
    UPDATE_HIGH,
    UPDATE_LOW,
    Fix,
    Reason,
    Verdict,
)

__all__ = [
    "GRAD_HIGH",
    "GRAD_RATIO",
    "SIGNAL_RATIO",
    "UNIT_FRACTION",
    "UPDATE_HIGH",
    "UPDATE_LOW",
    "Capture",
    "Fix",
    "LayerStats",
    "Monitor",
    "Reason",
    "Report",
    "TapStats",
    "Verdict",
    "capture",
    "diagnose",
    "returned",
    "tap",
    "train_monitored",
]
