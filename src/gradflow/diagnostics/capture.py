"""Opt-in activation capture: ``tap`` marks a layer's activations inside a model.

Outside :func:`gradflow.diagnostics.diagnose`, ``tap(name, h)`` returns ``h``
unchanged (no cost). Inside it, ``tap`` adds a zero *probe* to ``h``: the
gradient of the loss with respect to that probe is the backprop signal
dL/dh of the layer, and the value of ``h`` gives the dead and saturated unit
fractions. A model that already returns its activations can instead be read
with :func:`returned` (values only: no backprop signal without probes).

Inside ``lax.scan`` (a recurrent net) pass ``index=t`` and ``length=T``: the
probe is then an array of shape (T, *h.shape) and step t gets ``probe[t]``,
so the backprop signal is measured at every time step.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gradflow._checks import choice, positive_int

Array = jax.Array
KINDS = ("relu", "sigmoid", "tanh", "other")


@dataclass(frozen=True)
class Capture:
    """How ``diagnose`` gets activations: from ``tap`` probes or from the model's returned dict.

    ``kinds`` maps a layer name to its activation kind (relu, sigmoid, tanh,
    other), overriding the ``kind`` given to ``tap``.
    """

    mode: str = "probe"
    kinds: tuple[tuple[str, str], ...] = ()

    def kind_of(self, name: str, default: str | None) -> str | None:
        return dict(self.kinds).get(name, default)


def _kinds(kinds: dict[str, str] | None) -> tuple[tuple[str, str], ...]:
    kinds = dict(kinds or {})
    for name, kind in kinds.items():
        choice(f"kind of {name!r}", kind, KINDS)
    return tuple(sorted(kinds.items()))


def capture(kinds: dict[str, str] | None = None) -> Capture:
    """Capture the layers the model marks with :func:`tap` (values and backprop signal)."""
    return Capture("probe", _kinds(kinds))


def returned(kinds: dict[str, str] | None = None) -> Capture:
    """Read activations the loss returns as ``(loss, {name: h})`` (values only, no backprop signal)."""
    return Capture("returned", _kinds(kinds))


class TapInfo(NamedTuple):
    """What the discovery pass learns about one tap: its probe's shape and dtype, kind, and time axis."""

    name: str
    shape: tuple[int, ...]
    dtype: Any
    kind: str | None
    indexed: bool


@dataclass
class _Session:
    mode: str  # "discover" or "probe"
    probes: dict[str, Array] = field(default_factory=dict)
    infos: list[TapInfo] = field(default_factory=list)
    values: dict[str, Array] = field(default_factory=dict)

    def tap(self, name: str, h: Array, kind: str | None, index, length: int | None) -> Array:
        if self.mode == "discover":
            if any(i.name == name for i in self.infos):
                raise ValueError(f"tap name {name!r} is used twice; give each tapped layer its own name")
            shape = tuple(h.shape) if index is None else (length, *h.shape)
            self.infos.append(TapInfo(name, shape, h.dtype, kind, index is not None))
            return h
        if name not in self.probes:  # not capturing (activations=None or returned())
            return h
        probe = self.probes[name]
        if index is None:
            self.values[name] = h
            return h + probe
        return h + probe[index]


_LOCAL = threading.local()


def _stack() -> list[_Session]:
    if not hasattr(_LOCAL, "stack"):
        _LOCAL.stack = []
    return _LOCAL.stack


def _check_tap(name: str, kind: str | None, index, length: int | None) -> None:
    if not isinstance(name, str) or not name:
        raise TypeError(f"tap name must be a non-empty string; got {name!r}")
    if kind is not None:
        choice("kind", kind, KINDS)
    if index is not None:
        if length is None:
            raise ValueError("tap(..., index=t) inside lax.scan needs length=T, the number of steps")
        positive_int("length", length)


def tap(name: str, h: Array, kind: str | None = None, *, index: Array | int | None = None, length: int | None = None):
    """Mark ``h`` (batch, ..., units) as layer ``name``'s activations; returns ``h`` (plus a zero probe when diagnosing).

    ``kind`` ("relu", "sigmoid", "tanh") enables the dead / saturated unit
    fractions. In a ``lax.scan`` body pass the step ``index`` and the number of
    steps ``length``.
    """
    _check_tap(name, kind, index, length)
    stack = _stack()
    if not stack:
        return h
    return stack[-1].tap(name, jnp.asarray(h), kind, index, length)


def probe(name: str, like: Array, kind: str | None = None, *, steps: bool = False) -> Array:
    """A zero array shaped like ``like``, or layer ``name``'s probe while diagnosing (see :func:`record`).

    For models that take additive probes themselves (``gradflow.models.mlp.forward(..., probes=...)``):
    pass ``probe(name, h_like)`` in, then :func:`record` the activation the model returns.
    ``steps=True``: the leading axis of ``like`` is time (e.g. ``recurrent.run``'s probes
    (T, batch, hidden)), and the backprop signal is measured per step.
    """
    _check_tap(name, kind, None, None)
    like = jnp.asarray(like)
    stack = _stack()
    if not stack:
        return jnp.zeros_like(like)
    s = stack[-1]
    out = s.tap(name, jnp.zeros_like(like), kind, None, None)
    s.values.pop(name, None)
    if s.mode == "discover" and steps:
        s.infos[-1] = s.infos[-1]._replace(indexed=True)
    return out


def record(name: str, h: Array) -> None:
    """Record the value of layer ``name`` (made with :func:`probe`) for the dead/saturated fractions."""
    stack = _stack()
    if stack and stack[-1].mode == "probe" and name in stack[-1].probes:
        stack[-1].values[name] = jnp.asarray(h)


class session:
    """Context manager that makes ``tap`` record (``discover``) or add probes (``probe``)."""

    def __init__(self, mode: str, probes: dict[str, Array] | None = None) -> None:
        self.state = _Session(mode, dict(probes or {}))

    def __enter__(self) -> _Session:
        _stack().append(self.state)
        return self.state

    def __exit__(self, *exc) -> None:
        _stack().pop()
