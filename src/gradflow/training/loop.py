"""The course's one training loop: any loss, any optax optimizer, the records you ask for.

``train(loss, params, optimizer, batches, record=...)`` runs one optax update per batch
(``lax.scan`` over the steps, compiled once) and returns the final parameters and a
history: a dict of arrays with one row per step. Clipping, momentum, Adam and learning-rate
schedules are optax transformations the caller builds and passes in, e.g.
``optax.chain(optax.clip_by_global_norm(1.0), optax.sgd(optax.cosine_decay_schedule(0.1, 500)))``.

``batches`` is either a :class:`Batches` (a data set and the rows of each step, from
:func:`minibatches` or :func:`full_batch`) or any pytree whose leaves have a leading axis of
steps (one batch per step, e.g. freshly drawn sequences).

Records (``record=``): names from :data:`RECORDS`, or a dict ``{name: fn(step)}`` of your own,
where ``step`` is a :class:`Step`. Per-layer records list the weight matrices of the
parameters (leaves with two or more axes, in pytree order: ``measure.weight_leaves``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from gradflow._checks import positive_int
from gradflow._norm import norm
from gradflow.measure.probes import weight_leaves, weight_norms

Array = jax.Array


class Batches(NamedTuple):
    """A data set and the rows each step trains on.

    data: pytree of arrays with n rows each, e.g. ``(x (n, in_dim), y (n,))``;
    index: (steps, batch) integer rows of each step's minibatch, or (steps, 0) for the whole data set.
    """

    data: Any
    index: Array


def _rows(data: Any) -> int:
    sizes = {leaf.shape[0] for leaf in jax.tree.leaves(data)}
    if len(sizes) != 1:
        raise ValueError(f"every array of the data must have the same number of rows; got {sorted(sizes)}")
    return sizes.pop()


def minibatches(data: Any, steps: int, batch_size: int, key: Array, replace: bool = False) -> Batches:
    """``steps`` minibatches of ``batch_size`` rows of ``data``, drawn with ``key``.

    Without replacement (default) a step's rows are distinct; ``replace=True`` draws each row
    uniformly (``jax.random.randint``). Step t uses ``jax.random.split(key, steps)[t]``.
    """
    positive_int("steps", steps)
    positive_int("batch_size", batch_size)
    n = _rows(data)
    if not replace and batch_size > n:
        raise ValueError(f"batch_size must be at most the number of examples ({n}); got {batch_size}")
    keys = jax.random.split(key, steps)
    if replace:
        draw = lambda k: jax.random.randint(k, (batch_size,), 0, n)
    else:
        draw = lambda k: jax.random.choice(k, n, (batch_size,), replace=False)
    return Batches(data, jax.vmap(draw)(keys))


def full_batch(data: Any, steps: int) -> Batches:
    """``steps`` steps on the whole of ``data`` (full-batch gradient descent)."""
    positive_int("steps", steps)
    _rows(data)
    return Batches(data, jnp.zeros((steps, 0), jnp.int32))


class Step(NamedTuple):
    """What a record function sees at each step (before the update is applied).

    params, grads, updates: pytrees like the parameters; start: the parameters before training;
    loss: the batch's loss (a scalar).
    """

    params: Any
    grads: Any
    updates: Any
    start: Any
    loss: Array


def _global_norm(tree: Any) -> Array:
    return norm(jnp.stack([norm(leaf) for leaf in jax.tree.leaves(tree)]))


def _weight_change(step: Step) -> Array:
    moved = jax.tree.map(jnp.subtract, weight_leaves(step.params), weight_leaves(step.start))
    return weight_norms(moved) / weight_norms(step.start)


RECORDS: dict[str, Callable[[Step], Array]] = {
    "loss": lambda s: s.loss,
    "grad_norm": lambda s: _global_norm(s.grads),
    "grad_norms": lambda s: weight_norms(s.grads),
    "weight_norms": lambda s: weight_norms(s.params),
    "update_ratios": lambda s: weight_norms(s.updates) / weight_norms(s.params),
    "weight_change": _weight_change,
}
"""Built-in records: the loss; the global gradient norm; per weight matrix ||dL/dW||, ||W||,
||Delta W|| / ||W|| and ||W(t) - W(0)|| / ||W(0)||, each (n_weights,) per step. The two ratios are
undefined for a matrix that is zero (e.g. a residual branch started at zero): they read inf or nan there."""


def _records(record: Sequence[str] | Mapping[str, Callable]) -> tuple[tuple[str, Callable], ...]:
    if isinstance(record, str):
        record = (record,)
    if not isinstance(record, (Sequence, Mapping)):
        raise TypeError(f"record must be names from {list(RECORDS)} or {{name: fn(step)}}; got {type(record).__name__}")
    if isinstance(record, Mapping):
        items = tuple(record.items())
        bad = [name for name, fn in items if not callable(fn)]
        if bad:
            raise TypeError(f"record functions must be callable; {bad} are not")
        return items
    unknown = [name for name in record if name not in RECORDS]
    if unknown:
        raise ValueError(f"unknown records {unknown}; choose from {list(RECORDS)} or pass {{name: fn(step)}}")
    return tuple((name, RECORDS[name]) for name in record)


@partial(jax.jit, static_argnames=("loss", "optimizer", "record", "stateful"))
def _run(loss, params, optimizer, batches, record, state, stateful):
    start = params

    def step(carry, batch):
        params, state, opt_state = carry
        if stateful:
            (value, state), grads = jax.value_and_grad(loss, has_aux=True)(params, state, batch)
        else:
            value, grads = jax.value_and_grad(loss)(params, batch)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        seen = Step(params, grads, updates, start, value)
        out = {name: fn(seen) for name, fn in record}
        return (optax.apply_updates(params, updates), state, opt_state), out

    if isinstance(batches, Batches):
        data, index = batches
        scanned = index
        pick = lambda idx: data if idx.shape[0] == 0 else jax.tree.map(lambda a: a[idx], data)
    else:
        scanned, pick = batches, lambda b: b
    (params, state, _), history = jax.lax.scan(
        lambda carry, b: step(carry, pick(b)), (params, state, optimizer.init(params)), scanned
    )
    return params, history, state


def train(
    loss: Callable,
    params: Any,
    optimizer: optax.GradientTransformation,
    batches: Batches | Any,
    *,
    record: Sequence[str] | Mapping[str, Callable] = ("loss",),
    state: Any = None,
) -> tuple[Any, dict[str, Array]] | tuple[Any, dict[str, Array], Any]:
    """Train ``params`` with ``optimizer``, one update per batch; return (params, history).

    ``loss(params, batch) -> scalar``, where ``batch`` is one step's slice of ``batches``.
    With ``state`` (e.g. batch-norm running averages) the loss is
    ``loss(params, state, batch) -> (scalar, new state)`` and the final state is returned third.
    ``history[name]`` has shape (steps, ...) for every name of ``record``, each computed before
    the step's update. Works under ``jax.vmap`` (e.g. over seeds' parameters).
    """
    if not callable(loss):
        raise TypeError(f"loss must be a function loss(params, batch); got {type(loss).__name__}")
    if not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(f"optimizer must be an optax.GradientTransformation; got {type(optimizer).__name__}")
    if isinstance(batches, Batches):
        index = batches.index
        if getattr(index, "ndim", None) != 2 or not jnp.issubdtype(index.dtype, jnp.integer):
            raise ValueError(f"batches.index must be (steps, batch) integers; got {getattr(index, 'shape', index)!r}")
    elif not jax.tree.leaves(batches):
        raise ValueError("batches must be a Batches (minibatches, full_batch) or arrays with a leading steps axis")
    stateful = state is not None
    records = _records(record)
    params, history, state = _run(loss, params, optimizer, batches, records, state, stateful)
    history = {name: history[name] for name, _ in records}  # in the order asked (jit returns dicts sorted by key)
    return (params, history, state) if stateful else (params, history)
