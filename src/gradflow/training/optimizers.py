"""Optimizers side by side (chapter 10), all from ``optax``.

:func:`named` builds plain SGD, SGD with momentum, Adagrad, RMSProp and Adam.
:func:`train_side_by_side` trains one network with several optimizers in a
single compiled function (every optimizer sees the same minibatches), so a
comparison costs one compilation instead of one per optimizer.
:func:`updates_for` feeds an optimizer a given sequence of gradients and
returns its updates: this is how Adam's step is measured against the
gradient's scale, and how a velocity (or its absence) shows.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from gradflow import seeds
from gradflow._checks import finite_float, positive_int
from gradflow._norm import norm
from gradflow.models.mlp import MLP, Params, loss_fn

Array = jax.Array


def named(lr_sgd: float = 0.1, lr_adaptive: float = 1e-3) -> dict[str, optax.GradientTransformation]:
    """The five optimizers of chapter 10, keyed by name.

    SGD, momentum (0.9) and Adagrad use ``lr_sgd``; RMSProp and Adam ``lr_adaptive``
    (their steps are about the learning rate itself, not the learning rate times
    the gradient).
    """
    lr_sgd = finite_float("lr_sgd", lr_sgd, positive=True, allow_zero=False)
    lr_adaptive = finite_float("lr_adaptive", lr_adaptive, positive=True, allow_zero=False)
    return {
        "SGD": optax.sgd(lr_sgd),
        "momentum": optax.sgd(lr_sgd, momentum=0.9),
        "Adagrad": optax.adagrad(lr_sgd),
        "RMSProp": optax.rmsprop(lr_adaptive),
        "Adam": optax.adam(lr_adaptive),
    }


class SideBySide(NamedTuple):
    """Records of :func:`train_side_by_side`, one row per optimizer.

    loss: (n_opt, steps) minibatch loss before each update;
    update_ratios: (n_opt, steps, depth + 1) ||Delta W_l|| / ||W_l|| of each update, per dense layer;
    first_change: (n_opt, steps) ||W_1(t) - W_1(0)|| / ||W_1(0)|| before each update.
    """

    loss: Array
    update_ratios: Array
    first_change: Array


def _layer_norms(spec: MLP, tree: Params) -> Array:
    return jnp.stack([norm(tree[name]["W"]) for name in spec.layer_names])


@partial(jax.jit, static_argnames=("spec", "optimizers", "steps", "batch_size"))
def _side_by_side(spec, params, x, y, key, optimizers, steps, batch_size):
    # One run per optimizer, mapped sequentially with lax.map; inside, lax.switch picks the optimizer's
    # update, so the network's forward and backward pass is compiled once (not once per optimizer).
    first = spec.layer_names[0]
    start = params[first]["W"]
    keys = jax.random.split(key, steps)

    def branch(j):
        def update(operands):
            grads, states, p = operands
            u, s = optimizers[j].update(grads, states[j], p)
            return u, (*states[:j], s, *states[j + 1 :])

        return update

    def run(which):
        def step(carry, k):
            p, states = carry
            idx = jax.random.randint(k, (batch_size,), 0, x.shape[0])
            value, grads = jax.value_and_grad(lambda q: loss_fn(spec, q, x[idx], y[idx]))(p)
            updates, states = jax.lax.switch(which, [branch(j) for j in range(len(optimizers))], (grads, states, p))
            ratios = _layer_norms(spec, updates) / _layer_norms(spec, p)
            moved = norm(p[first]["W"] - start) / norm(start)
            return (optax.apply_updates(p, updates), states), (value, ratios, moved)

        states = tuple(opt.init(params) for opt in optimizers)
        return jax.lax.scan(step, (params, states), keys)[1]

    loss, ratios, moved = jax.lax.map(run, jnp.arange(len(optimizers)))
    return SideBySide(loss, ratios, moved)


def train_side_by_side(
    spec: MLP,
    params: Params,
    x: Array,
    y: Array,
    optimizers: tuple[optax.GradientTransformation, ...],
    steps: int,
    key: Array | None = None,
    batch_size: int = 128,
) -> SideBySide:
    """Train copies of ``params`` with each optimizer on the same minibatches; compiled once.

    Minibatches of ``batch_size`` rows of ``x`` (n, in_dim), integer labels ``y`` (n,),
    are drawn with replacement using ``key``; cross-entropy loss.
    """
    if not isinstance(spec, MLP):
        raise TypeError(f"spec must be a gradflow.models.mlp.MLP; got {type(spec).__name__}")
    optimizers = tuple(optimizers)
    if not optimizers or not all(isinstance(o, optax.GradientTransformation) for o in optimizers):
        raise TypeError("optimizers must be a non-empty tuple of optax.GradientTransformation")
    positive_int("steps", steps)
    positive_int("batch_size", batch_size)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of rows; got {x.shape[0]} and {y.shape[0]}")
    key = seeds.key(0) if key is None else key
    return _side_by_side(spec, params, x, y, key, optimizers, steps, batch_size)


def updates_for(optimizer: optax.GradientTransformation, gradients: Array) -> Array:
    """The updates ``optimizer`` returns when fed ``gradients[t]`` at step t.

    ``gradients`` has shape (steps, *shape); the result has the same shape. The
    parameters passed to the optimizer are the gradient itself (the optimizers of
    this chapter do not read them). ``jnp.full((100, 1), g)`` gives a constant gradient.
    """
    if not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(f"optimizer must be an optax.GradientTransformation; got {type(optimizer).__name__}")
    gradients = jnp.asarray(gradients, jnp.float32)
    if gradients.ndim < 1 or gradients.shape[0] < 1:
        raise ValueError(f"gradients must have shape (steps, ...) with steps >= 1; got {gradients.shape}")

    def step(state, g):
        update, state = optimizer.update(g, state, g)
        return state, update

    return jax.lax.scan(step, optimizer.init(gradients[0]), gradients)[1]
