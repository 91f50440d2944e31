"""A training monitor: the report's per-layer figures every N steps of training, plotted against steps.

:func:`train_monitored` trains with the course's one loop, ``gradflow.train``; :meth:`Monitor.record`
records from a training loop of your own (any pytree, Flax nnx or Equinox model).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import jax
import jax.numpy as jnp
import matplotlib as mpl
import numpy as np
import optax
from matplotlib.figure import Figure

from gradflow import seeds
from gradflow._checks import positive_int
from gradflow._norm import norm
from gradflow.diagnostics.core import _is_float_array, _split
from gradflow.training.loop import Batches, Step, train
from gradflow.views import plots

Array = jax.Array


def _float_leaves(tree: Any) -> list[Array]:
    nnx = sys.modules.get("flax.nnx")
    if nnx is not None and isinstance(tree, nnx.Module):
        tree = nnx.state(tree, nnx.Param)
    return [x for x in jax.tree_util.tree_leaves(tree) if _is_float_array(x)]


@jax.jit
def _figures(w: list, g: list, u: list | None, w0: list) -> dict[str, Array]:
    """The monitor's figures of one step from its weight layers' lists: the same record functions ``gf.train`` runs."""
    step = Step(w, g, w if u is None else u, w0, jnp.zeros(()))
    records = _records(tuple(range(len(w))))
    return {k: fn(step) for k, fn in records.items() if k != "loss" and (u is not None or k != "update_ratio")}


class Monitor:
    """Record per-layer weight norms, weight-gradient norms and update-to-weight ratios every ``every`` steps.

    ``params``: the initial parameters (any pytree, Flax nnx or Equinox model),
    which fix the layer names and the starting point of the weight change.
    In the training loop call ``monitor.record(step, params, grads, updates, loss)``;
    it does nothing unless ``step % every == 0``, and otherwise runs one small
    jitted reduction. ``monitor.plot()`` draws the figures against steps.
    """

    def __init__(self, params: Any, every: int = 10) -> None:
        self.every = positive_int("every", every)
        layout, diff, _ = _split(params)
        self._order = layout.order
        self._n = len(diff)
        self.names = [layout.names[i] for i in layout.order]
        self._start = [diff[i] for i in self._order]
        self.steps: list[int] = []
        self.loss: list[float] = []
        self._rows: dict[str, list[np.ndarray]] = {}

    def _pick(self, tree: Any, what: str) -> list[Array]:
        leaves = _float_leaves(tree)
        if len(leaves) != self._n:
            raise ValueError(f"{what} has {len(leaves)} floating-point arrays; the parameters have {self._n}")
        return [leaves[i] for i in self._order]

    def record(
        self, step: int, params: Any, grads: Any, updates: Any = None, loss: float | Array | None = None
    ) -> bool:
        """Record the figures of this step if ``step % every == 0``; returns whether it recorded."""
        if step % self.every:
            return False
        w, g = self._pick(params, "params"), self._pick(grads, "grads")
        u = None if updates is None else self._pick(updates, "updates")
        out = jax.device_get(_figures(w, g, u, self._start))
        self.steps.append(int(step))
        self.loss.append(float("nan") if loss is None else float(loss))
        for k, v in out.items():
            self._rows.setdefault(k, []).append(np.asarray(v))
        return True

    def _keep(self, history: dict[str, np.ndarray]) -> None:
        """Keep every ``every``-th row of a ``gf.train`` history of the monitor's records (one row per step)."""
        kept = range(0, len(history["loss"]), self.every)
        self.steps.extend(kept)
        self.loss.extend(float(v) for v in np.asarray(history["loss"])[:: self.every])
        for k in ("weight_norm", "grad_norm", "weight_change", "update_ratio"):
            self._rows.setdefault(k, []).extend(np.asarray(history[k])[:: self.every])

    def history(self) -> dict[str, np.ndarray]:
        """steps (records,), loss (records,) and (records, layers) arrays: weight_norm, grad_norm, weight_change, update_ratio."""
        out = {"steps": np.asarray(self.steps), "loss": np.asarray(self.loss)}
        out.update({k: np.stack(v) for k, v in self._rows.items()})
        return out

    def plot(self) -> Figure:
        """Loss, weights against steps, weight-gradient norms and log10 update-to-weight ratio (reference -3)."""
        if not self.steps:
            raise ValueError("the monitor has recorded nothing yet: call record() in the training loop")
        h = self.history()
        with mpl.rc_context(plots.STYLE):
            fig = Figure(figsize=(9, 6), layout="constrained")
            axes = fig.subplots(2, 2)
            panels = [
                (axes[0, 1], h["weight_norm"], "weight norm ‖W_l‖", True, None),
                (axes[1, 0], h["grad_norm"], "weight gradient ‖∂L/∂W_l‖", True, None),
            ]
            if "update_ratio" in h:
                panels.append((axes[1, 1], np.log10(h["update_ratio"]), "log10 update / ‖W_l‖", False, -3.0))
            else:
                panels.append((axes[1, 1], h["weight_change"], "‖W_l(t) − W_l(0)‖ / ‖W_l(0)‖", True, None))
            for ax, values, label, log, ref in panels:
                lines = plots.per_layer_over_steps(ax, values, label, self.names, log=log, reference=ref)
                for line in lines:
                    line.set_xdata(h["steps"])
                ax.relim()
                ax.autoscale_view()
            plots.training_curves(axes[0, 0], {"loss": h["loss"]})
            axes[0, 0].lines[0].set_xdata(h["steps"])
            axes[0, 0].relim()
            axes[0, 0].autoscale_view()
            axes[0, 0].get_legend().remove()
            axes[0, 0].set_ylabel("training loss")
        return plots.shown_in_notebooks(fig)


@lru_cache(maxsize=64)
def _records(order: tuple[int, ...]) -> dict[str, Callable]:
    """``gf.train`` records of the monitor's figures for weight layers ``order`` (one set per layout: same functions)."""

    def pick(tree: Any) -> list[Array]:
        leaves = [x for x in jax.tree_util.tree_leaves(tree) if _is_float_array(x)]
        return [leaves[i] for i in order]

    def norms(xs: list[Array]) -> Array:
        return jnp.stack([norm(x) for x in xs])

    def change(s: Step) -> Array:
        return norms([a - b for a, b in zip(pick(s.params), pick(s.start), strict=True)]) / norms(pick(s.start))

    return {
        "loss": lambda s: s.loss,
        "weight_norm": lambda s: norms(pick(s.params)),
        "grad_norm": lambda s: norms(pick(s.grads)),
        "weight_change": change,
        "update_ratio": lambda s: norms(pick(s.updates)) / norms(pick(s.params)),
    }


def train_monitored(
    loss_fn,
    params: Any,
    x: Array,
    y: Array,
    optimizer: optax.GradientTransformation,
    steps: int,
    *,
    every: int = 10,
    batch_size: int = 128,
    key: Array | None = None,
) -> tuple[Any, Monitor]:
    """Train with ``gradflow.train`` on minibatches of ``(x, y)``, keeping every ``every``-th step in a :class:`Monitor`.

    ``loss_fn(params, (xb, yb))``; ``params`` a pytree of arrays (nested dicts and lists). Step t
    trains on rows ``jax.random.randint(key, (steps, batch_size), 0, n)[t]``. ``gf.train`` records
    the monitor's figures at every step; the monitor keeps steps 0, every, 2 every, ... Returns
    the final parameters and the monitor.
    """
    positive_int("steps", steps)
    positive_int("batch_size", batch_size)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of rows; got {x.shape[0]} and {y.shape[0]}")
    key = seeds.key(0) if key is None else key
    monitor = Monitor(params, every=every)
    rows = jax.random.randint(key, (steps, batch_size), 0, x.shape[0])
    params, history = train(loss_fn, params, optimizer, Batches((x, y), rows), record=_records(monitor._order))
    monitor._keep(jax.device_get(history))
    return params, monitor
