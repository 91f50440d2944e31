"""One family of plotting helpers for every chapter.

Per-layer norms on a log scale, per-layer histograms with their variances
printed beside them, training curves and norms against steps. Colours are
the Okabe-Ito colour-blind-safe palette; figures have a white background so
they stay legible on the website's light and dark themes. Each helper draws
into axes it is given (or creates them) and returns the artists it made, so
explorers can update them in place.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
"""Okabe & Ito's colour-blind-safe palette (blue, orange, green, vermillion, purple, sky, yellow, black)."""

STYLE = {
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "figure.dpi": 96,
    "savefig.dpi": 96,
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "figure.constrained_layout.use": True,
}


def use_style() -> None:
    """Apply the course's matplotlib style globally (chapters call this once)."""
    mpl.rcParams.update(STYLE)


def shown_in_notebooks(fig: Figure) -> Figure:
    """``fig`` itself, made to display as a picture when a notebook cell returns it.

    IPython shows a :class:`~matplotlib.figure.Figure` as an image only once matplotlib's
    inline backend is loaded, and matplotlib loads its backend lazily, on the first pyplot
    figure. A pyplot-free Figure returned before any pyplot figure would show as the text
    ``<Figure size ...>``; this loads the backend first. Outside IPython it does nothing.
    """
    ipython = sys.modules.get("IPython")
    if ipython is not None and ipython.get_ipython() is not None:
        import matplotlib.pyplot as plt

        if not plt.get_fignums():  # nothing open yet, so switching (which closes all figures) loses nothing
            plt.switch_backend(mpl.get_backend())
    return fig


def new_figure(
    nrows: int = 1, ncols: int = 1, width: float = 7.0, height: float = 3.2, **kw
) -> tuple[Figure, np.ndarray]:
    """A pyplot-free Figure (for explorers: it is never auto-displayed) and its axes array."""
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(width, height), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def layer_norms(
    ax: Axes,
    series: Mapping[str, Sequence[float]],
    ylabel: str,
    xlabel: str = "layer",
    first_layer: int = 0,
    title: str | None = None,
) -> list:
    """Plot one line per entry of ``series`` (label -> value per layer) on a log y axis."""
    lines = []
    for i, (label, values) in enumerate(series.items()):
        values = np.asarray(values, dtype=float)
        x = np.arange(first_layer, first_layer + len(values))
        (line,) = ax.semilogy(x, values, marker="o", ms=3, color=PALETTE[i % len(PALETTE)], label=label)
        lines.append(line)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if len(series) > 1:
        ax.legend()
    return lines


def layer_histograms(
    axes: Sequence[Axes],
    arrays: Mapping[str, np.ndarray],
    quantity: str,
    bins: int = 40,
    sharex: bool = True,
) -> None:
    """One histogram per layer (``arrays``: layer name -> values), its variance printed beside it.

    As in Karpathy's makemore part 3 and the UvA tutorials: if the variances
    shrink or grow layer after layer, the signal is vanishing or exploding.
    """
    values = {k: np.asarray(v, dtype=float).ravel() for k, v in arrays.items()}
    lim = max(float(np.max(np.abs(v))) for v in values.values()) if sharex else None
    for i, (ax, (name, v)) in enumerate(zip(axes, values.items(), strict=True)):
        rng = (-lim, lim) if lim else None
        ax.hist(v, bins=bins, range=rng, color=PALETTE[i % len(PALETTE)], alpha=0.85)
        ax.set_title(f"{name}\nvar = {v.var():.2e}", fontsize=9)
        ax.set_yticks([])
        ax.set_xlabel(quantity, fontsize=8)


def training_curves(
    ax: Axes,
    curves: Mapping[str, Sequence[float]],
    ylabel: str = "training loss",
    log: bool = False,
    baseline: float | None = None,
    baseline_label: str = "",
) -> list:
    """Loss (or another metric) against step, one line per run; optional horizontal baseline."""
    lines = []
    for i, (label, values) in enumerate(curves.items()):
        (line,) = ax.plot(np.asarray(values, dtype=float), color=PALETTE[i % len(PALETTE)], label=label)
        lines.append(line)
    if baseline is not None:
        ax.axhline(baseline, color="0.4", ls="--", lw=1, label=baseline_label or None)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.legend()
    return lines


def per_layer_over_steps(
    ax: Axes,
    values: np.ndarray,
    ylabel: str,
    layer_names: Sequence[str],
    log: bool = True,
    reference: float | None = None,
) -> list:
    """Lines of a per-layer quantity against step; ``values`` has shape (steps, layers).

    With ``reference`` (e.g. -3 for log10 update-to-weight ratios) a dashed line is drawn there.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(layer_names):
        raise ValueError(f"values must have shape (steps, {len(layer_names)}); got {values.shape}")
    cmap = mpl.colormaps["viridis"]
    lines = []
    for j, name in enumerate(layer_names):
        colour = cmap(j / max(1, len(layer_names) - 1))
        (line,) = ax.plot(values[:, j], color=colour, label=name, lw=1.2)
        lines.append(line)
    if log:
        ax.set_yscale("log")
    if reference is not None:
        ax.axhline(reference, color="k", ls="--", lw=1)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, ncol=2)
    return lines
