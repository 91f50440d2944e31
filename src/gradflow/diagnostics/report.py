"""The report of :func:`gradflow.diagnostics.diagnose`: per-layer figures, verdict, text, HTML and plots."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from gradflow.views import plots

if TYPE_CHECKING:
    from gradflow.diagnostics.verdict import Verdict


@dataclass(frozen=True)
class LayerStats:
    """One weight array (two or more dimensions), named by its pytree path.

    shape: the array's shape; weight_norm ||W||, grad_norm ||dL/dW|| (Frobenius), grad_ratio = grad_norm / weight_norm,
    update_ratio = ||ΔW|| / ||W|| of one optimizer step (None without an optimizer),
    grad_sample: up to 2048 entries of dL/dW (strided) for the histograms.
    """

    name: str
    shape: tuple[int, ...] | None
    weight_norm: float
    grad_norm: float
    grad_ratio: float
    update_ratio: float | None
    grad_sample: np.ndarray = field(repr=False, compare=False)


@dataclass(frozen=True)
class TapStats:
    """One tapped (or returned) activation: backprop signal norm(s), unit fractions, finiteness.

    signal: ||dL/dh|| as an array of shape (1,), or (steps,) for a tap inside ``lax.scan``;
    dead: fraction of ReLU units that are zero for every example of the batch;
    saturated: fraction of sigmoid/tanh outputs whose derivative is below 10% of its maximum;
    value_sample, signal_sample: up to 2048 entries of h and of dL/dh (strided) for the histograms.
    """

    name: str
    kind: str | None
    signal: np.ndarray | None
    indexed: bool
    dead: float | None
    saturated: float | None
    value_finite: bool
    signal_finite: bool
    value_sample: np.ndarray | None = field(default=None, repr=False, compare=False)
    signal_sample: np.ndarray | None = field(default=None, repr=False, compare=False)


_COLOURS = {
    "healthy": "#009E73",
    "borderline": "#E69F00",
    "vanishing": "#0072B2",
    "exploding": "#D55E00",
    "non-finite": "#CC79A7",
}


@dataclass
class Report:
    """Gradient health of one batch: ``layers`` (weight arrays, input to output), ``taps``, ``verdict``."""

    loss: float
    layers: tuple[LayerStats, ...]
    taps: tuple[TapStats, ...]
    nonfinite_params: tuple[str, ...]
    nonfinite_grads: tuple[str, ...]
    has_optimizer: bool
    has_signal: bool
    adaptive: bool = False
    verdict: Verdict | None = None

    # ---- figures as arrays ---------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Weight layer names, input to output."""
        return [lay.name for lay in self.layers]

    @property
    def grad_norms(self) -> np.ndarray:
        """||dL/dW_l|| per weight layer, shape (layers,)."""
        return np.array([lay.grad_norm for lay in self.layers])

    @property
    def weight_norms(self) -> np.ndarray:
        """||W_l|| per weight layer, shape (layers,)."""
        return np.array([lay.weight_norm for lay in self.layers])

    @property
    def grad_ratios(self) -> np.ndarray:
        """||dL/dW_l|| / ||W_l|| per weight layer, shape (layers,)."""
        return np.array([lay.grad_ratio for lay in self.layers])

    @property
    def update_ratios(self) -> np.ndarray | None:
        """||ΔW_l|| / ||W_l|| of one optimizer step, shape (layers,); None without an optimizer."""
        if not self.has_optimizer:
            return None
        return np.array([lay.update_ratio for lay in self.layers], dtype=float)

    def signal(self) -> dict[str, float]:
        """Backprop signal ||dL/dh|| by tapped layer (``name[t]`` per step for taps inside a scan), forward order."""
        out: dict[str, float] = {}
        for t in self.taps:
            if t.signal is None:
                continue
            if t.indexed:
                out.update({f"{t.name}[{i}]": float(v) for i, v in enumerate(t.signal)})
            else:
                out[t.name] = float(t.signal[0])
        return out

    @property
    def dead_fractions(self) -> dict[str, float]:
        """Fraction of dead ReLU units per tapped ReLU layer."""
        return {t.name: t.dead for t in self.taps if t.dead is not None}

    @property
    def saturated_fractions(self) -> dict[str, float]:
        """Fraction of saturated sigmoid/tanh outputs per tapped layer."""
        return {t.name: t.saturated for t in self.taps if t.saturated is not None}

    @property
    def status(self) -> str:
        """The verdict's status: vanishing, exploding, non-finite, borderline or healthy."""
        return self.verdict.status if self.verdict else "unknown"

    # ---- text and HTML -------------------------------------------------------------------------
    def summary(self) -> str:
        """A plain-text summary: verdict, reasons, fixes, notes and the per-layer table."""
        v = self.verdict
        where = f" (layer {v.layer})" if v.layer else ""
        lines = [f"Verdict: {v.status.upper()}{where}   (loss {self.loss:.4g})"]
        lines += [f"  - {r.text}" for r in v.reasons]
        if v.fixes:
            lines.append("Fixes:")
            lines += [f"  - {f.text} ({f.where})" for f in v.fixes]
        if v.notes:
            lines.append("Notes:")
            lines += [f"  - {n}" for n in v.notes]
        width = max([len(n) for n in self.names] + [5])
        head = f"{'layer':{width}s}  {'||W||':>9s}  {'||dL/dW||':>9s}  {'grad/W':>9s}"
        head += f"  {'update/W':>9s}" if self.has_optimizer else ""
        lines += ["", head]
        for lay in self.layers:
            row = f"{lay.name:{width}s}  {lay.weight_norm:9.2e}  {lay.grad_norm:9.2e}  {lay.grad_ratio:9.2e}"
            row += f"  {lay.update_ratio:9.2e}" if self.has_optimizer else ""
            lines.append(row)
        if self.taps:
            lines += ["", f"{'activation':{width}s}  {'kind':>7s}  {'||dL/dh||':>19s}  {'dead':>5s}  {'satur.':>6s}"]
            for t in self.taps:
                lines.append(
                    f"{t.name:{width}s}  {t.kind or '-':>7s}  {_signal_text(t):>19s}  {_pct(t.dead):>5s}  {_pct(t.saturated):>6s}"
                )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        v = self.verdict
        colour = _COLOURS.get(v.status, "#000000")
        e = html.escape
        out = [
            '<div class="gradflow-report" style="font-size:0.9em">',
            f'<p><strong style="color:{colour}">Verdict: {e(str(v))}</strong> &nbsp; loss {self.loss:.4g}</p>',
        ]
        if v.reasons:
            out.append("<ul>" + "".join(f"<li>{e(r.text)}</li>" for r in v.reasons) + "</ul>")
        if v.fixes:
            items = "".join(
                f'<li>{e(f.text)} (<a href="{e(f.url)}">{e(f.where)}</a>)</li>'
                if f.url
                else f"<li>{e(f.text)} ({e(f.where)})</li>"
                for f in v.fixes
            )
            out.append(f"<p>Fixes from the course:</p><ul>{items}</ul>")
        if v.notes:
            out.append("<p>Notes:</p><ul>" + "".join(f"<li>{e(n)}</li>" for n in v.notes) + "</ul>")
        cols = ["layer", "‖W‖", "‖∂L/∂W‖", "‖∂L/∂W‖/‖W‖"] + (["update/‖W‖"] if self.has_optimizer else [])
        rows = []
        for lay in self.layers:
            cells = [e(lay.name), f"{lay.weight_norm:.2e}", f"{lay.grad_norm:.2e}", f"{lay.grad_ratio:.2e}"]
            cells += [f"{lay.update_ratio:.2e}"] if self.has_optimizer else []
            rows.append(cells)
        out.append(_table(cols, rows, "Weight gradients per layer (input to output)"))
        if self.taps:
            trows = [[e(t.name), t.kind or "–", _signal_text(t), _pct(t.dead), _pct(t.saturated)] for t in self.taps]
            out.append(
                _table(["activation", "kind", "backprop signal ‖∂L/∂h‖", "dead", "saturated"], trows, "Activations")
            )
        out.append("</div>")
        return "\n".join(out)

    # ---- plots ---------------------------------------------------------------------------------
    def plot(self, max_histograms: int = 6) -> Figure:
        """Per-layer norms on a log scale (weight gradients; backprop signal if measured) and gradient histograms.

        Returns a matplotlib Figure (displayed when it is a cell's last value).
        """
        with mpl.rc_context(plots.STYLE):
            fig = Figure(figsize=(9, 6), layout="constrained")
            top, bottom = fig.subfigures(2, 1, height_ratios=[1.4, 1])
            ax_w, ax_s = top.subplots(1, 2)
            series = {"‖∂L/∂W‖ (weight gradient)": self.grad_norms, "‖∂L/∂W‖ / ‖W‖": self.grad_ratios}
            if self.has_optimizer:
                series["update / ‖W‖ (one step)"] = self.update_ratios
            plots.layer_norms(ax_w, series, ylabel="per weight layer", title="weight gradients")
            if self.has_optimizer:
                ax_w.axhline(1e-3, color="0.4", ls=":", lw=1)
            _name_ticks(ax_w, self.names)
            signal = self.signal()
            if signal:
                plots.layer_norms(
                    ax_s, {"‖∂L/∂h‖": list(signal.values())}, ylabel="backprop signal ‖∂L/∂h‖", title="backprop signal"
                )
                _name_ticks(ax_s, list(signal))
            else:
                plots.layer_norms(
                    ax_s,
                    {"‖W‖": self.weight_norms},
                    ylabel="weight norm ‖W‖",
                    title="weights (no backprop signal measured)",
                )
                _name_ticks(ax_s, self.names)
            n = min(max_histograms, len(self.layers))
            pick = np.unique(np.linspace(0, len(self.layers) - 1, n).round().astype(int))
            axes = bottom.subplots(1, len(pick), squeeze=False)[0]
            arrays = {self.layers[i].name: self.layers[i].grad_sample for i in pick}
            plots.layer_histograms(axes, arrays, "∂L/∂W", sharex=False)
            bottom.suptitle("weight-gradient histograms", fontsize=9)
            fig.suptitle(f"verdict: {self.verdict}", color=_COLOURS.get(self.status, "k"))
        return plots.shown_in_notebooks(fig)

    def histograms(self, bins: int = 41) -> Figure:
        """Karpathy's histograms (makemore part 3): per layer, one line, all layers on one shared axis per panel.

        Left: the forward activations h_l of the tapped layers that have an activation kind, with their mean,
        standard deviation and saturated (sigmoid/tanh) or dead (ReLU) fraction in the legend. Middle: the entries
        of the backprop signal dL/dh_l of those layers (needs ``activations=capture()``). Right: the entries of the
        weight gradients dL/dW_l. Distributions that narrow or widen from layer to layer on the shared axis are the
        vanishing or exploding signal. Returns a matplotlib Figure.
        """
        acts = {t.name: t for t in self.taps if t.kind and t.value_sample is not None and not t.indexed}
        grads = {t.name: t.signal_sample for t in acts.values() if t.signal_sample is not None}
        weights = {lay.name: lay.grad_sample for lay in self.layers}
        panels = [p for p in (acts, grads, weights) if p]
        with mpl.rc_context(plots.STYLE):
            fig = Figure(figsize=(3.4 * len(panels), 3.4), layout="constrained")
            axes = fig.subplots(1, len(panels), squeeze=False)[0]
            i = 0
            if acts:
                values = {n: t.value_sample for n, t in acts.items()}
                labels = {n: _activation_label(n, t) for n, t in acts.items()}
                _shared_histogram(axes[i], values, labels, bins, "activation $h_l$", symmetric=False)
                axes[i].set_title("forward activations", fontsize=9)
                i += 1
            if grads:
                labels = {n: f"{n}: std {np.std(v):.1e}" for n, v in grads.items()}
                _shared_histogram(axes[i], grads, labels, bins, r"entries of $\partial L/\partial h_l$", symmetric=True)
                axes[i].set_title("backprop signal", fontsize=9)
                i += 1
            labels = {n: f"{n}: std {np.std(v):.1e}" for n, v in weights.items()}
            _shared_histogram(axes[i], weights, labels, bins, r"entries of $\partial L/\partial W_l$", symmetric=True)
            axes[i].set_title("weight gradients", fontsize=9)
            axes[0].set_ylabel("fraction of entries")
        return plots.shown_in_notebooks(fig)


def _activation_label(name: str, t: TapStats) -> str:
    v = t.value_sample
    text = f"{name}: mean {np.mean(v):.2f}, std {np.std(v):.2f}"
    if t.saturated is not None:
        text += f", saturated {t.saturated:.0%}"
    if t.dead is not None:
        text += f", dead {t.dead:.0%}"
    return text


def _shared_histogram(ax, arrays: dict, labels: dict, bins: int, xlabel: str, symmetric: bool) -> None:
    """One histogram line per layer on one shared x range, coloured from the first layer (dark) to the last (light)."""
    values = {k: np.asarray(v, dtype=float).ravel() for k, v in arrays.items()}
    finite = [v[np.isfinite(v)] for v in values.values()]
    finite = [v for v in finite if v.size] or [np.zeros(1)]
    lo, hi = min(float(v.min()) for v in finite), max(float(v.max()) for v in finite)
    if symmetric:
        lo, hi = -max(abs(lo), abs(hi)), max(abs(lo), abs(hi))
    if hi <= lo:
        lo, hi = lo - 1.0, hi + 1.0
    colours = mpl.colormaps["viridis"](np.linspace(0.0, 0.9, len(values)))
    for colour, (name, v) in zip(colours, values.items(), strict=True):
        counts, edges = np.histogram(v[np.isfinite(v)], bins=bins, range=(lo, hi))
        ax.plot((edges[:-1] + edges[1:]) / 2, counts / max(v.size, 1), color=colour, lw=1.2, label=labels[name])
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=5.5, loc="upper right")


def _name_ticks(ax, names: list[str]) -> None:
    step = max(1, len(names) // 12)
    idx = list(range(0, len(names), step))
    ax.set_xticks(idx, [names[i] for i in idx], rotation=60, ha="right", fontsize=7)
    ax.set_xlabel("")


def _signal_text(t: TapStats) -> str:
    if t.signal is None:
        return "–"
    if t.indexed:
        return f"{t.signal[0]:.1e} … {t.signal[-1]:.1e} ({len(t.signal)} steps)"
    return f"{t.signal[0]:.2e}"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def _table(cols: list[str], rows: list[list[str]], caption: str) -> str:
    head = "".join(f'<th style="text-align:right">{html.escape(c)}</th>' for c in cols)
    body = "".join("<tr>" + "".join(f'<td style="text-align:right">{c}</td>' for c in r) + "</tr>" for r in rows)
    return f'<table><caption style="text-align:left">{html.escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
