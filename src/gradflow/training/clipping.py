"""Gradient clipping, written out once by hand, and the experiments of chapter 9.

:func:`clip_by_global_norm` is the lesson's hand-written version of
``optax.clip_by_global_norm`` (a test checks they agree): if the global norm
||g|| of the whole gradient pytree exceeds ``max_norm``, every leaf is scaled
by the same factor max_norm / ||g||, so the direction is kept. Clipping by
value (``optax.clip``) clips each entry separately and changes the direction.

:func:`sgd_run` is plain SGD with optional clipping and a per-step learning
rate, compiled once and ``vmap``-able over learning rates, thresholds and
initial parameters (so sweeps over seeds and thresholds are one call).
:func:`cliff_loss` is the one-unit recurrence of Pascanu et al. (2013) whose
loss surface has a cliff.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from gradflow import seeds
from gradflow._checks import is_concrete, positive_int
from gradflow._norm import norm
from gradflow.models.mlp import MLP, Params, loss_fn

Array = jax.Array


def _check_max_norm(max_norm: object) -> None:
    """A ValueError/TypeError unless a concrete ``max_norm`` is a number > 0 (inf allowed)."""
    if not is_concrete(max_norm):
        return
    if isinstance(max_norm, (str, bytes, bool)) or jnp.ndim(max_norm) != 0:
        raise TypeError(f"max_norm must be a positive number (inf for no clipping); got {max_norm!r}")
    if not float(max_norm) > 0:
        raise ValueError(f"max_norm must be > 0 (inf for no clipping); got {max_norm}")


def global_norm(tree) -> Array:
    """sqrt of the sum of squares of every entry of every leaf of ``tree`` (a scalar)."""
    leaves = jax.tree.leaves(tree)
    if not leaves:
        raise ValueError("global_norm needs a pytree with at least one array leaf")
    return jnp.sqrt(sum(jnp.sum(jnp.square(leaf)) for leaf in leaves))


def clip_by_global_norm(tree, max_norm: float | Array):
    """``tree`` scaled by min(1, max_norm / ||tree||): the global norm is at most ``max_norm``.

    Every leaf is multiplied by the same factor, so the direction of the whole
    gradient is unchanged. ``max_norm`` must be > 0 (it may be traced).
    """
    _check_max_norm(max_norm)
    norm = global_norm(tree)
    factor = jnp.where(norm > max_norm, max_norm / norm, 1.0)
    return jax.tree.map(lambda leaf: leaf * factor.astype(leaf.dtype), tree)


def angle_degrees(a, b) -> Array:
    """The angle in degrees between two pytrees of the same structure, seen as flat vectors.

    Computed as 2 atan2(||u - v||, ||u + v||) with u, v the unit vectors, which
    stays accurate for tiny angles (arccos of the cosine does not).
    """
    if jax.tree.structure(a) != jax.tree.structure(b):
        raise ValueError("a and b must be pytrees of the same structure")
    na, nb = global_norm(a), global_norm(b)
    u = jax.tree.map(lambda x: x / na, a)
    v = jax.tree.map(lambda x: x / nb, b)
    diff = global_norm(jax.tree.map(jnp.subtract, u, v))
    total = global_norm(jax.tree.map(jnp.add, u, v))
    return jnp.degrees(2.0 * jnp.arctan2(diff, total))


def cliff_loss(w: float | Array, b: float | Array, steps: int = 50, x0: float = 0.5, target: float = 0.7) -> Array:
    """Loss (x_T - target)^2 of the one-unit recurrence x_t = w sigmoid(x_{t-1}) + b, T = ``steps``.

    Pascanu, Mikolov & Bengio (2013), section 3: as w crosses a bifurcation the
    final state x_T jumps, and the loss surface has a near-vertical wall.
    ``w`` and ``b`` may be arrays of the same shape (evaluated elementwise).
    """
    positive_int("steps", steps)
    w, b = jnp.broadcast_arrays(jnp.asarray(w, jnp.float32), jnp.asarray(b, jnp.float32))

    def step(x, _):
        return w * jax.nn.sigmoid(x) + b, None

    x_t, _ = jax.lax.scan(step, jnp.full(w.shape, x0, jnp.float32), None, length=steps)
    return (x_t - target) ** 2


class SGDRun(NamedTuple):
    """Per-step records of :func:`sgd_run`.

    loss: (steps,) minibatch loss before each update;
    grad_norm: (steps,) global norm of the raw (unclipped) gradient;
    first_last: (steps,) ||dL/dW_1|| / ||dL/dW_out|| of the raw gradient;
    first_change: (steps,) ||W_1(t) - W_1(0)|| / ||W_1(0)|| before each update.
    """

    loss: Array
    grad_norm: Array
    first_last: Array
    first_change: Array


@partial(jax.jit, static_argnames=("spec", "batch_size"))
def _sgd_run(spec, params, x, y, lrs, max_norm, key, batch_size):
    first, last = spec.layer_names[0], spec.layer_names[-1]
    optimizer = optax.chain(optax.clip_by_global_norm(max_norm), optax.scale(-1.0))
    start = params[first]["W"]

    def step(carry, inputs):
        params, state = carry
        k, lr = inputs
        idx = jax.random.randint(k, (batch_size,), 0, x.shape[0])
        value, grads = jax.value_and_grad(lambda p: loss_fn(spec, p, x[idx], y[idx]))(params)
        updates, state = optimizer.update(grads, state, params)
        ratio = norm(grads[first]["W"]) / norm(grads[last]["W"])
        moved = norm(params[first]["W"] - start) / norm(start)
        params = jax.tree.map(lambda p, u: p + lr * u, params, updates)
        return (params, state), SGDRun(value, global_norm(grads), ratio, moved)

    keys = jax.random.split(key, lrs.shape[0])
    (params, _), records = jax.lax.scan(step, (params, optimizer.init(params)), (keys, lrs))
    return params, records


def sgd_run(
    spec: MLP,
    params: Params,
    x: Array,
    y: Array,
    lrs: Array,
    max_norm: float | Array = jnp.inf,
    key: Array | None = None,
    batch_size: int = 128,
) -> tuple[Params, SGDRun]:
    """Plain SGD for ``len(lrs)`` steps, step t using learning rate ``lrs[t]`` (shape (steps,)).

    The gradient is first clipped with ``optax.clip_by_global_norm(max_norm)``
    (``inf``: no clipping). Minibatches of ``batch_size`` rows are drawn with
    replacement using ``key``. ``lrs``, ``max_norm`` and ``params`` may be traced
    (``vmap`` over seeds, schedules and thresholds). Cross-entropy loss on
    integer labels ``y`` (n,).
    """
    if not isinstance(spec, MLP):
        raise TypeError(f"spec must be a gradflow.models.mlp.MLP; got {type(spec).__name__}")
    positive_int("batch_size", batch_size)
    lrs = jnp.asarray(lrs, jnp.float32)
    if lrs.ndim != 1 or lrs.shape[0] < 1:
        raise ValueError(f"lrs must be a 1-D array with one learning rate per step; got shape {lrs.shape}")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of rows; got {x.shape[0]} and {y.shape[0]}")
    _check_max_norm(max_norm)
    key = seeds.key(0) if key is None else key
    return _sgd_run(spec, params, x, y, lrs, jnp.asarray(max_norm, jnp.float32), key, batch_size)
