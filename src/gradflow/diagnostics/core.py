"""``diagnose``: one jitted pass over a loss, its gradients, probes and one optimizer step."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gradflow._norm import norm
from gradflow.diagnostics.capture import Capture, TapInfo, session
from gradflow.diagnostics.report import LayerStats, Report, TapStats
from gradflow.diagnostics.verdict import judge
from gradflow.measure import units
from gradflow.measure.probes import path_name

Array = jax.Array
SAMPLE = 2048
"""Values kept per layer for the histograms (a strided subsample)."""

SATURATION_LEVEL = 0.1
"""A sigmoid/tanh unit is saturated where its derivative is below 10% of the derivative's maximum."""


class _Id:
    """A list hashable by its items' identities: lets arbitrary leaves be static arguments of ``jax.jit``."""

    def __init__(self, obj: list) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return hash(tuple(id(x) for x in self.obj))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _Id)
            and len(other.obj) == len(self.obj)
            and all(a is b for a, b in zip(other.obj, self.obj, strict=True))
        )


def _natural(text: str) -> tuple:
    return tuple((0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", text) if t)


def _is_float_array(x: Any) -> bool:
    return isinstance(x, (jax.Array, np.ndarray)) and jnp.issubdtype(x.dtype, jnp.inexact)


def _is_nnx_module(obj: Any) -> bool:
    nnx = sys.modules.get("flax.nnx")
    return nnx is not None and isinstance(obj, nnx.Module)


@dataclass(frozen=True)
class _Layout:
    """How to rebuild the model from its differentiable leaves: static (hashable) part."""

    treedef: Any
    mask: tuple[bool, ...]
    names: tuple[str, ...]  # names of the differentiable leaves, pytree order
    order: tuple[int, ...]  # indices (into the differentiable leaves) of weight layers, input to output
    nnx_graphdef: Any = None  # set for Flax nnx models


def _order_key(paths: list[tuple]) -> Callable[[tuple], tuple]:
    first: dict[tuple, int] = {}
    for i, path in enumerate(paths):
        for d in range(len(path)):
            first.setdefault(path[: d + 1], i)

    def key(path: tuple) -> tuple:
        out = []
        for d, entry in enumerate(path):
            if isinstance(entry, jax.tree_util.DictKey):
                out.append((_natural(str(entry.key)), 0))
            else:
                out.append(((), first[path[: d + 1]]))
        return tuple(out)

    return key


def _split(params: Any) -> tuple[_Layout, list[Array], list[Any]]:
    """(layout, differentiable float leaves, other leaves) of any pytree or Flax nnx model."""
    graphdef = None
    tree = params
    if _is_nnx_module(params):
        from flax import nnx

        graphdef, state, rest = nnx.split(params, nnx.Param, ...)
        tree = (state, rest)
    flat, treedef = jax.tree_util.tree_flatten_with_path(tree)
    if graphdef is not None:  # only the nnx.Param part is differentiated; drop the tuple index and ".value"
        flat = [(p[1:], x) if p[0].idx == 0 else (None, x) for p, x in flat]
        flat = [
            (p[:-1] if p and isinstance(p[-1], jax.tree_util.GetAttrKey) and p[-1].name == "value" else p, x)
            for p, x in flat
        ]
    mask = tuple(p is not None and _is_float_array(x) for p, x in flat)
    diff = [jnp.asarray(x) for (p, x), m in zip(flat, mask, strict=True) if m]
    other = [x for (p, x), m in zip(flat, mask, strict=True) if not m]
    paths = [p for (p, x), m in zip(flat, mask, strict=True) if m]
    if not diff:
        raise ValueError(
            f"params holds no floating-point arrays to differentiate (got {type(params).__name__}); pass the model's "
            "parameters: a nested dict/list of arrays, a Flax nnx module or an Equinox module"
        )
    names = tuple(path_name(p) or "params" for p in paths)
    key = _order_key(paths)
    order = tuple(sorted((i for i, x in enumerate(diff) if x.ndim >= 2), key=lambda i: key(paths[i])))
    return _Layout(treedef, mask, names, order, graphdef), diff, other


def _rebuild(layout: _Layout, diff: list, other: list, *, for_optimizer: bool = False) -> Any:
    it_d, it_o = iter(diff), iter(other)
    leaves = [next(it_d) if m else (None if for_optimizer else next(it_o)) for m in layout.mask]
    tree = jax.tree_util.tree_unflatten(layout.treedef, leaves)
    if layout.nnx_graphdef is None:
        return tree
    if for_optimizer:
        return tree[0]
    from flax import nnx

    return nnx.merge(layout.nnx_graphdef, *tree)


def _split_output(out: Any, capture: Capture | None) -> tuple[Array, Any]:
    aux = None
    if isinstance(out, tuple) and len(out) == 2:
        out, aux = out
    if not hasattr(out, "shape") or not hasattr(out, "dtype"):
        raise TypeError(f"loss_fn must return a scalar array (or (scalar, activations)); got {type(out).__name__}")
    if out.shape != ():
        raise ValueError(
            f"loss_fn must return a scalar loss; got an array of shape {tuple(out.shape)} (average it over the batch, e.g. .mean())"
        )
    if not jnp.issubdtype(out.dtype, jnp.inexact):
        raise TypeError(f"loss_fn must return a floating-point loss; got dtype {out.dtype}")
    if capture is not None and capture.mode == "returned" and (not isinstance(aux, Mapping) or not aux):
        raise TypeError(
            "activations=returned() needs loss_fn to return (loss, {layer name: activations}); "
            f"got {type(aux).__name__} as the second element"
        )
    return out, aux


def _check_batch(batch: Any) -> None:
    leaves = [x for x in jax.tree_util.tree_leaves(batch) if hasattr(x, "shape")]
    if not leaves:
        return
    rows = {
        path_name(p): x.shape[0]
        for p, x in jax.tree_util.tree_flatten_with_path(batch)[0]
        if getattr(x, "ndim", 0) >= 1
    }
    if len(set(rows.values())) > 1:
        described = ", ".join(f"{name or 'batch'}: {n}" for name, n in rows.items())
        raise ValueError(
            f"the batch's arrays must share their first (batch) dimension; got {described}. "
            "Pass check_batch=False if your layout differs on purpose."
        )


def _sample(x: Array) -> Array:
    flat = jnp.ravel(x)
    step = max(1, flat.size // SAMPLE)
    return flat[::step][:SAMPLE]


def _unit_stats(h: Array, kind: str | None) -> tuple[Array, Array]:
    """(dead fraction, saturated fraction) of activations h (batch, ..., units); NaN where not applicable.

    A unit is one index of the last axis (a channel of a convolution), so the batch and any
    spatial axes are flattened into examples before :mod:`gradflow.measure.units` measures them.
    """
    nan = jnp.asarray(jnp.nan, jnp.float32)
    if h.ndim == 0 or kind not in ("relu", "sigmoid", "tanh"):
        return nan, nan
    rows = h.reshape(-1, h.shape[-1])
    if kind == "relu":
        return units.dead_fraction(rows)[0].astype(jnp.float32), nan
    return nan, units.saturated_fraction(rows, kind, SATURATION_LEVEL)[0].astype(jnp.float32)


@dataclass(frozen=True)
class _Plan:
    loss_fn: Any
    layout: _Layout
    other: _Id
    taps: tuple[TapInfo, ...]
    capture: Capture | None
    optimizer: Any
    has_state: bool


def _run(diff, batch, opt_state, plan: _Plan):
    layout, capture = plan.layout, plan.capture
    other = plan.other.obj
    probes = {t.name: jnp.zeros(t.shape, t.dtype) for t in plan.taps}

    def f(diff, probes):
        model = _rebuild(layout, diff, other)
        with session("probe", probes) as s:
            out = plan.loss_fn(model, batch)
        loss, aux = _split_output(out, capture)
        values = {} if capture is None else dict(aux) if capture.mode == "returned" else dict(s.values)
        return loss, values

    (loss, values), (grads, g_probes) = jax.value_and_grad(f, argnums=(0, 1), has_aux=True)(diff, probes)
    finite = lambda x: jnp.all(jnp.isfinite(x))
    out: dict[str, Any] = {
        "loss": loss,
        "param_finite": jnp.stack([finite(x) for x in diff]),
        "grad_finite": jnp.stack([finite(g) for g in grads]),
        "weight_norm": jnp.stack([norm(diff[i]) for i in layout.order]),
        "grad_norm": jnp.stack([norm(grads[i]) for i in layout.order]),
        "grad_sample": [_sample(grads[i]) for i in layout.order],
    }
    if plan.optimizer is not None:
        tree = _rebuild(layout, diff, other, for_optimizer=True)
        gtree = _rebuild(layout, grads, other, for_optimizer=True)
        state = opt_state if plan.has_state else plan.optimizer.init(tree)
        updates, _ = plan.optimizer.update(gtree, state, tree)
        upd = [u for u in jax.tree_util.tree_leaves(updates)]
        if len(upd) != len(diff):
            raise ValueError(f"the optimizer's updates have {len(upd)} arrays, the parameters {len(diff)}")
        out["update_norm"] = jnp.stack([norm(upd[i]) for i in layout.order])
    taps = {}
    for t in plan.taps:
        g = g_probes[t.name]
        signal = norm(g.reshape(g.shape[0], -1), axis=1) if t.indexed else norm(g)
        taps[t.name] = {"signal": signal, "signal_finite": finite(g), "signal_sample": _sample(g)}
    for name, h in values.items():
        kind = capture.kind_of(name, next((t.kind for t in plan.taps if t.name == name), None))
        dead, sat = _unit_stats(h, kind)
        taps.setdefault(name, {}).update(value_finite=finite(h), dead=dead, saturated=sat, value_sample=_sample(h))
    out["taps"] = taps
    return out


_run_jit = jax.jit(_run, static_argnames=("plan",))


def _discover(loss_fn, model, batch, capture: Capture | None) -> tuple[TapInfo, ...]:
    def f(batch):
        with session("discover") as s:
            out = loss_fn(model, batch)
        _split_output(out, capture)
        return s.infos

    try:
        infos = []
        jax.eval_shape(lambda b: infos.extend(f(b)) or 0.0, batch)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, (TypeError, ValueError)) and str(exc).startswith(
            ("loss_fn ", "activations=", "tap ", "tap(")
        ):
            raise
        raise ValueError(
            f"calling loss_fn(params, batch) failed with {type(exc).__name__}: {exc}\n"
            "Check that the batch's shapes match the model (e.g. x of shape (batch, in_dim)) and that loss_fn "
            "takes (params, batch)."
        ) from exc
    return tuple(infos)


def diagnose(
    loss_fn: Callable[[Any, Any], Any],
    params: Any,
    batch: Any,
    *,
    activations: Capture | None = None,
    optimizer: optax.GradientTransformation | None = None,
    opt_state: Any = None,
    check_batch: bool = True,
) -> Report:
    """Measure the gradient health of ``loss_fn(params, batch)`` and return a :class:`Report` with a verdict.

    ``params``: any pytree of arrays (nested dicts/lists as Flax linen makes),
    a Flax nnx module or an Equinox module; every floating-point array is
    differentiated and every array with two or more dimensions counts as a
    weight layer, named by its pytree path. ``loss_fn`` returns a scalar (or
    ``(scalar, activations)`` for ``activations=returned()``).
    ``activations=capture()`` measures the backprop signal dL/dh at each layer
    the model marks with :func:`tap`, and the dead/saturated unit fractions.
    ``optimizer`` (optax): the update-to-weight ratio of one step (from
    ``optimizer.init`` unless ``opt_state`` is given).
    """
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable as loss_fn(params, batch); got {type(loss_fn).__name__}")
    if activations is not None and not isinstance(activations, Capture):
        raise TypeError(
            f"activations must be None, gradflow.diagnostics.capture() or returned(); got {type(activations).__name__}"
        )
    if optimizer is not None and not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(f"optimizer must be an optax.GradientTransformation; got {type(optimizer).__name__}")
    layout, diff, other = _split(params)
    if check_batch:
        _check_batch(batch)
    model = _rebuild(layout, diff, other)
    taps = _discover(loss_fn, model, batch, activations)
    if activations is not None and activations.mode == "probe" and not taps:
        raise ValueError("activations=capture() but the model calls gradflow.diagnostics.tap on no layer")
    if activations is None or activations.mode == "returned":
        taps = ()
    state_shape = None
    if optimizer is not None:
        state_shape = jax.eval_shape(optimizer.init, _rebuild(layout, diff, other, for_optimizer=True))
        if opt_state is not None:
            _check_opt_state(opt_state, state_shape)
    plan = _Plan(loss_fn, layout, _Id(other), taps, activations, optimizer, opt_state is not None)
    try:
        hash(plan)
        out = _run_jit(diff, batch, opt_state, plan=plan)
    except TypeError as exc:
        if "unhashable" not in str(exc):
            raise
        out = jax.jit(lambda d, b, s: _run(d, b, s, plan))(diff, batch, opt_state)
    shapes = tuple(tuple(diff[i].shape) for i in layout.order)
    return _report(
        jax.device_get(out),
        layout,
        taps,
        activations,
        optimizer is not None,
        _adaptive(optimizer, state_shape),
        shapes,
    )


def _check_opt_state(opt_state: Any, expected: Any) -> None:
    """A clear error for an optimizer state that is not ``optimizer.init`` of the parameters (e.g. an nnx.Optimizer)."""
    nnx = sys.modules.get("flax.nnx")
    if (nnx is not None and isinstance(opt_state, nnx.Object)) or hasattr(opt_state, "tx"):
        raise TypeError(
            f"opt_state must be the optax state of the parameters, not a {type(opt_state).__name__}; for a Flax "
            "nnx.Optimizer pass its transformation as optimizer= (the optax.GradientTransformation you built it with) "
            "and leave opt_state out: diagnose then starts from optimizer.init(params)"
        )
    got, want = jax.tree_util.tree_structure(opt_state), jax.tree_util.tree_structure(expected)
    if got != want:
        raise TypeError(
            "opt_state does not have the structure of optimizer.init(params): pass the state this optimizer made for "
            f"these parameters, or leave opt_state out.\n  expected {want}\n  got      {got}"
        )


def _adaptive(optimizer: Any, state: Any) -> bool:
    """Whether the optimizer keeps a per-coordinate second moment (Adam, RMSProp, Adagrad: a ``nu`` or sum of squares)."""
    if optimizer is None or state is None:
        return False
    paths = jax.tree_util.tree_flatten_with_path(state)[0]
    names = {getattr(entry, "name", None) for path, _ in paths for entry in path}
    return bool(names & {"nu", "sum_of_squares"})


def _report(
    out: dict,
    layout: _Layout,
    taps: tuple[TapInfo, ...],
    capture: Capture | None,
    has_opt: bool,
    adaptive: bool = False,
    shapes: tuple[tuple[int, ...], ...] | None = None,
) -> Report:
    layers = []
    for j, i in enumerate(layout.order):
        w, g = float(out["weight_norm"][j]), float(out["grad_norm"][j])
        u = float(out["update_norm"][j]) / w if has_opt and w > 0 else None
        layers.append(
            LayerStats(
                name=layout.names[i],
                shape=None if shapes is None else shapes[j],
                weight_norm=w,
                grad_norm=g,
                grad_ratio=g / w if w > 0 else float("inf"),
                update_ratio=u,
                grad_sample=np.asarray(out["grad_sample"][j]),
            )
        )
    tap_stats = []
    names = [t.name for t in taps] + [n for n in out["taps"] if n not in {t.name for t in taps}]
    for name in names:
        d = out["taps"][name]
        info = next((t for t in taps if t.name == name), None)
        kind = capture.kind_of(name, info.kind if info else None) if capture else None
        signal = d.get("signal")
        tap_stats.append(
            TapStats(
                name=name,
                kind=kind,
                signal=None if signal is None else np.atleast_1d(np.asarray(signal, dtype=float)),
                indexed=bool(info.indexed) if info else False,
                dead=_opt_float(d.get("dead")),
                saturated=_opt_float(d.get("saturated")),
                value_finite=bool(d.get("value_finite", True)),
                signal_finite=bool(d.get("signal_finite", True)),
                value_sample=None if "value_sample" not in d else np.asarray(d["value_sample"]),
                signal_sample=None if "signal_sample" not in d else np.asarray(d["signal_sample"]),
            )
        )
    bad_params = [layout.names[i] for i, ok in enumerate(out["param_finite"]) if not ok]
    bad_grads = [layout.names[i] for i, ok in enumerate(out["grad_finite"]) if not ok]
    order_names = [layout.names[i] for i in layout.order]
    bad_grads.sort(key=lambda n: order_names.index(n) if n in order_names else -1)
    report = Report(
        loss=float(out["loss"]),
        layers=tuple(layers),
        taps=tuple(tap_stats),
        nonfinite_params=tuple(bad_params),
        nonfinite_grads=tuple(bad_grads),
        has_optimizer=has_opt,
        has_signal=any(t.signal is not None for t in tap_stats),
        adaptive=adaptive,
    )
    report.verdict = judge(report)
    return report


def _opt_float(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if np.isnan(x) else x
