"""A jitted training loop over ``lax.scan`` that records the loss, per-layer
gradient norms and weight norms at every step.

Nets with batch norm carry their running averages in a ``state`` pytree
(:func:`gradflow.models.mlp.init_state`), threaded through the scan beside the
parameters and returned when passed in."""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from gradflow import seeds
from gradflow._checks import positive_int
from gradflow._fast import FAST_COMPILE
from gradflow._norm import norm
from gradflow.models.mlp import MLP, Params, State, init_state, loss_and_state

Array = jax.Array


class History(NamedTuple):
    """Per-step records of a training run (steps = number of updates).

    loss: (steps,) training loss before each update;
    grad_norms: (steps, depth + 1) ||dL/dW_l|| per dense layer;
    weight_norms: (steps, depth + 1) ||W_l|| per dense layer, before each update;
    update_ratios: (steps, depth + 1) ||Delta W_l|| / ||W_l|| of each update;
    weight_change: (steps, depth + 1) ||W_l(t) - W_l(0)|| / ||W_l(0)||, before each update.
    """

    loss: Array
    grad_norms: Array
    weight_norms: Array
    update_ratios: Array
    weight_change: Array


def _layer_norms(spec: MLP, tree: Params) -> Array:
    return jnp.stack([norm(tree[name]["W"]) for name in spec.layer_names])


# Integer work run once per training run: compiled fast, and its results do not depend on it.
@partial(jax.jit, static_argnames=("n", "steps", "batch_size"), compiler_options=FAST_COMPILE)
def _batch_indices(key: Array, n: int, steps: int, batch_size: int) -> Array:
    """Row indices of each step's minibatch, (steps, batch_size), drawn without replacement.

    Compiled once per (n, steps, batch_size) and shared by every training run, so the
    sampler is not compiled again inside each run's loop (same values as drawing in the loop).
    """
    return jax.vmap(lambda k: jax.random.choice(k, n, (batch_size,), replace=False))(jax.random.split(key, steps))


@partial(jax.jit, static_argnames=("spec", "optimizer", "loss", "record"))
def _train(spec, params, state, x, y, batches, optimizer, loss, record=True):
    opt_state = optimizer.init(params)
    start = params
    start_norms = _layer_norms(spec, start)

    def step(carry, idx):
        params, state, opt_state = carry
        xb, yb = (x, y) if idx.shape[0] == 0 else (x[idx], y[idx])
        (value, state), grads = jax.value_and_grad(
            lambda p: loss_and_state(spec, p, state, xb, yb, loss), has_aux=True
        )(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        if record:
            w_norms = _layer_norms(spec, params)
            moved = _layer_norms(spec, jax.tree.map(jnp.subtract, params, start)) / start_norms
            out = (value, _layer_norms(spec, grads), w_norms, _layer_norms(spec, updates) / w_norms, moved)
        else:
            out = (value, None, None, None, None)
        return (optax.apply_updates(params, updates), state, opt_state), out

    (params, state, _), records = jax.lax.scan(step, (params, state, opt_state), batches)
    return params, History(*records), state


def train(
    spec: MLP,
    params: Params,
    x: Array,
    y: Array,
    optimizer: optax.GradientTransformation,
    steps: int,
    key: Array | None = None,
    batch_size: int | None = None,
    loss: str = "cross_entropy",
    state: State | None = None,
    record: bool = True,
) -> tuple[Params, History] | tuple[Params, History, State]:
    """Train ``params`` for ``steps`` updates of ``optimizer``; return the final params and a History.

    Full-batch by default; with ``batch_size`` each step samples a minibatch
    (without replacement) using ``key``. The whole loop is one ``lax.scan``
    compiled once per (spec, optimizer, steps, batch_size, loss).
    With ``state`` (batch-norm running averages from ``networks.init_state``)
    the state is updated at every step and returned third: (params, history, state).
    Without it, a batch-norm net still trains (batch statistics) but its running
    averages are discarded. ``record=False`` keeps only ``history.loss`` (the other
    fields are None): the loop compiles faster, which matters for deep nets.
    """
    positive_int("steps", steps)
    if batch_size is not None:
        positive_int("batch_size", batch_size)
        if batch_size > x.shape[0]:
            raise ValueError(f"batch_size must be at most the number of examples ({x.shape[0]}); got {batch_size}")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of rows; got {x.shape[0]} and {y.shape[0]}")
    if not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(f"optimizer must be an optax.GradientTransformation; got {type(optimizer).__name__}")
    if not isinstance(record, bool):
        raise TypeError(f"record must be True or False; got {record!r}")
    key = seeds.key(0) if key is None else key
    if batch_size is None:
        batches = jnp.zeros((steps, 0), jnp.int32)  # full batch: one empty row per step
    else:
        batches = _batch_indices(key, x.shape[0], steps, batch_size)
    run = partial(_train, spec, params, x=x, y=y, batches=batches, optimizer=optimizer, loss=loss, record=record)
    if state is None:
        params, history, _ = run(init_state(spec))
        return params, history
    if not isinstance(state, dict) or set(state) != set(spec.bn_names):
        raise ValueError(
            f"state must be a dict with the keys {list(spec.bn_names)} (networks.init_state); got {state!r:.80}"
        )
    return run(state)


def losses_over_seeds(
    spec: MLP,
    stacked: Params,
    x: Array,
    y: Array,
    optimizer: optax.GradientTransformation,
    steps: int,
    key: Array | None = None,
    batch_size: int | None = None,
    loss: str = "cross_entropy",
) -> Array:
    """Training loss per step, shape (seeds, steps), for each set of parameters in ``stacked``.

    ``stacked`` holds one network per seed along a leading axis (``networks.init_stack``);
    every seed trains on the same minibatches, all at once (``vmap`` of :func:`train`).
    """
    run = lambda p: train(spec, p, x, y, optimizer, steps, key, batch_size, loss, record=False)[1].loss
    return jax.vmap(run)(stacked)
