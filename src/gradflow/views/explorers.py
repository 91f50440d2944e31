"""The explorers of chapters 1 and 2, built once here so chapters and exercises share them.

Each function returns the widget of :func:`gradflow.views.widgets.explorer` (live in a
kernel, pre-rendered on the website). Later chapters may keep their explorer in
the chapter when no exercise needs it.
"""

from __future__ import annotations

from functools import cache

import jax
import jax.numpy as jnp
import numpy as np

from gradflow.measure.probes import backprop_signal
from gradflow.models.mlp import MLP
from gradflow.training import descent
from gradflow.views import plots
from gradflow.views.widgets import explorer

Array = jax.Array

DEPTHS = (2, 4, 6, 10, 20)
ACTIVATIONS = ("sigmoid", "tanh", "relu")
RATES = (0.02, 0.05, 0.1, 0.15, 0.19, 0.2, 0.21, 0.25)


def signal_by_depth(x: Array, y: Array, key: Array, depths=DEPTHS, activations=ACTIVATIONS):
    """Chapter 1's explorer: the backprop signal ||dL/dh_l|| per layer at initialization (MLP of width 32 on
    ``x`` (batch, features), integer labels ``y`` (batch,)) for each depth and activation (sigmoid and tanh with
    Xavier initialization, ReLU with He). Every (depth, activation) is compiled once, up front."""

    @cache
    def signal(depth: int, activation: str) -> np.ndarray:
        spec = MLP(x.shape[1], 32, depth, int(jnp.max(y)) + 1, activation, "he" if activation == "relu" else "xavier")
        return np.asarray(backprop_signal(spec, spec.init_params(key), x, y))

    fig, axes = plots.new_figure(width=7, height=3.2)
    ax = axes[0, 0]
    (line,) = ax.semilogy([], [], marker="o", ms=3)
    ax.set(xlim=(-0.5, max(depths) + 0.5), ylim=(1e-16, 10), xlabel="layer l (0 = input)")
    ax.set_ylabel(r"backprop signal $\|\partial L/\partial h_l\|$")

    def update(depth: int, activation: str) -> None:
        values = signal(depth, activation)
        line.set_data(np.arange(len(values)), values)
        ax.set_title(f"{activation}, {depth} hidden layers: input/last-layer signal ratio {values[0] / values[-1]:.1e}")

    def describe(depth: int, activation: str) -> str:
        values = signal(depth, activation)
        return (
            f"Backprop signal per layer for a {depth}-layer {activation} network at initialization; the input "
            f"layer's signal is {values[0] / values[-1]:.1e} times the last hidden layer's."
        )

    controls = {"depth": list(depths), "activation": list(activations)}
    return explorer(fig, update, controls, describe, defaults={"depth": 10 if 10 in depths else depths[-1]})


def descent_by_learning_rate(a: Array, w0: Array, rates=RATES, steps: int = 40):
    """Chapter 2's explorer: gradient descent on 1/2 w^T A w (A of shape (2, 2)) from ``w0`` (2,) for each
    learning rate: the path on the contour plot and the loss against step."""
    a = descent.check_spd(a)
    if a.shape != (2, 2):
        raise ValueError(f"the explorer draws 2-D quadratics: A must have shape (2, 2); got {a.shape}")
    lr_crit = descent.critical_lr(a)
    grid = np.linspace(-3, 3, 121)
    w1, w2 = np.meshgrid(grid, grid)
    surface = np.asarray(descent.quadratic_loss(a, jnp.asarray(np.stack([w1, w2], -1), jnp.float32)))
    fig, axes = plots.new_figure(1, 2, width=9, height=3.6)
    ax_path, ax_loss = axes[0]
    ax_path.contour(w1, w2, surface, levels=np.geomspace(0.05, 40, 12), colors="0.7", linewidths=0.8)
    (path_line,) = ax_path.plot([], [], marker="o", ms=3, color=plots.PALETTE[3])
    ax_path.set(xlim=(-3, 3), ylim=(-3, 3), xlabel="$w_1$", ylabel="$w_2$", aspect="equal")
    (loss_line,) = ax_loss.semilogy([], [], color=plots.PALETTE[0])
    ax_loss.set(xlim=(0, steps), ylim=(1e-8, 1e6), xlabel="step", ylabel="loss $f(w)$")

    def update(lr: float) -> None:
        path = np.asarray(descent.gradient_descent(a, w0, lr, steps))
        path_line.set_data(path[:, 0], path[:, 1])
        loss_line.set_data(np.arange(len(path)), np.asarray(descent.quadratic_loss(a, path)))
        ax_path.set_title(f"learning rate {lr} ({lr / lr_crit:.2f} x 2/lambda_max)")

    def describe(lr: float) -> str:
        verdict = descent.verdict(lr, lr_crit)
        if verdict == "boundary":
            return (
                f"Gradient descent on the quadratic with learning rate {lr}, exactly 2/lambda_max: the steep "
                "direction's component flips sign every step without shrinking, so the loss levels off; it neither "
                "converges nor diverges."
            )
        return f"Gradient descent on the quadratic with learning rate {lr}: it {verdict}."

    return explorer(fig, update, {"lr": list(rates)}, describe, defaults={"lr": 0.19}, labels={"lr": "learning rate"})
