"""The shared explorers of chapters 1 and 2."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

from gradflow.views import explorers
from gradflow.views.widgets import LiveExplorer


def test_descent_explorer_diverges_above_the_critical_rate_and_rejects_bad_quadratics(monkeypatch):
    monkeypatch.setenv("GRADFLOW_STATIC_EXPLORERS", "0")
    box = explorers.descent_by_learning_rate(jnp.diag(jnp.array([1.0, 10.0])), jnp.array([1.0, 1.0]))
    assert isinstance(box, LiveExplorer)
    box.set(lr=0.25)
    assert "diverges" in box.caption.value
    box.set(lr=0.19)
    assert "converges" in box.caption.value and len(box.timings) == 3
    box.set(lr=0.2)  # exactly 2/lambda_max: on the boundary, not "converges" (float32's 0.2 is below 2/10.000000x)
    assert "neither converges nor diverges" in box.caption.value
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        explorers.descent_by_learning_rate(jnp.eye(3), jnp.ones(3))


def test_depth_explorer_reports_the_signal_ratio(monkeypatch):
    monkeypatch.setenv("GRADFLOW_STATIC_EXPLORERS", "0")
    x = jax.random.normal(jax.random.key(0), (32, 8))
    y = jnp.arange(32) % 3
    box = explorers.signal_by_depth(x, y, jax.random.key(1), depths=(2, 6), activations=("sigmoid", "relu"))
    box.set(depth=6, activation="sigmoid")
    ratio = float(box.caption.value.split("signal is ")[1].split(" times")[0])
    assert ratio < 1e-2, "six sigmoid layers should shrink the backprop signal by orders of magnitude"
