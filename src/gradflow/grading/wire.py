"""The only data that crosses between a learner's worker and the grader: tagged JSON, validated and size-capped.

Every value is a JSON object with a type tag ``t``: ``none``, ``ellipsis``, ``missing`` (a name not defined),
``bool``, ``int``, ``float`` (NaN and infinities allowed), ``str``, ``array`` (``dtype``, ``shape`` and ``data`` as
nested lists; ``lib`` says whether it was a JAX or a NumPy array), ``key`` (a JAX PRNG key: ``impl`` and its ``data``
array), ``list``, ``tuple``, ``dict`` (``v``: a list of [str key, value] pairs), ``function`` (something callable,
never sent back) and ``object`` (anything else: only its type's name). :func:`decode` checks all of it and raises
:class:`WireError` on anything else; nothing is ever unpickled or evaluated. Messages are one JSON object per line
(:func:`message_line`, :func:`parse_message`), at most :data:`MAX_LINE` bytes.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

MAX_LINE = 64 * 1024 * 1024
MAX_ELEMENTS = 2_000_000
MAX_ITEMS = 10_000
MAX_DEPTH = 10
MAX_STR = 20_000
MAX_NDIM = 8
MAX_INT = 2**63
DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64"]
)
KEY_IMPLS = frozenset(["threefry2x32", "rbg", "unsafe_rbg"])
TYPE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,59}")


class WireError(ValueError):
    """Data from the other side of the boundary does not follow the schema (or is too large)."""


class Opaque:
    """A learner's value that is not data (an object of some class): only its type's name crosses."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


class _Budget:
    """Counts what one encoded or decoded value holds, so a value can never exceed the caps."""

    def __init__(self) -> None:
        self.elements = 0

    def take(self, n: int) -> None:
        self.elements += n
        if self.elements > MAX_ELEMENTS:
            raise WireError(f"the value holds more than {MAX_ELEMENTS:,} numbers, items or characters")


def _type_name(value: Any) -> str:
    name = type(value).__name__
    return name if isinstance(name, str) and TYPE_NAME.fullmatch(name) else "object"


def _encode_array(arr: np.ndarray, lib: str, budget: _Budget) -> dict[str, Any]:
    if str(arr.dtype) not in DTYPES:
        raise WireError(f"arrays of dtype {arr.dtype} are not accepted")
    if arr.ndim > MAX_NDIM:
        raise WireError(f"arrays of more than {MAX_NDIM} dimensions are not accepted")
    budget.take(int(arr.size))
    return {"t": "array", "lib": lib, "dtype": str(arr.dtype), "shape": list(arr.shape), "data": arr.tolist()}


def _jax_array_type() -> Any:
    import jax

    return jax.Array


def encode(value: Any, budget: _Budget | None = None, depth: int = 0) -> dict[str, Any]:
    """``value`` as tagged JSON data; raises :class:`WireError` when it is too large or too deep."""
    budget = budget or _Budget()
    if depth > MAX_DEPTH:
        raise WireError(f"the value is nested more than {MAX_DEPTH} levels deep")
    if value is None:
        return {"t": "none"}
    if value is Ellipsis:
        return {"t": "ellipsis"}
    kind = type(value)
    if kind is bool or kind is np.bool_:
        return {"t": "bool", "v": bool(value)}
    if kind is int:
        if abs(value) >= MAX_INT:
            raise WireError("the integer is too large")
        return {"t": "int", "v": value}
    if kind is float:
        return {"t": "float", "v": value}
    if kind is str:
        budget.take(len(value))
        if len(value) > MAX_STR:
            raise WireError(f"the text is longer than {MAX_STR:,} characters")
        return {"t": "str", "v": value}
    if isinstance(value, (np.ndarray, np.generic)) and kind.__module__ == "numpy":
        return _encode_array(np.asarray(value), "numpy", budget)
    if isinstance(value, _jax_array_type()):
        import jax

        if jax.dtypes.issubdtype(value.dtype, jax.dtypes.prng_key):
            impl = str(jax.random.key_impl(value))
            data = _encode_array(np.asarray(jax.random.key_data(value)), "numpy", budget)
            return {"t": "key", "impl": impl, "data": data}
        return _encode_array(np.asarray(value), "jax", budget)
    if kind in (list, tuple):
        budget.take(len(value))
        return {"t": kind.__name__, "v": [encode(v, budget, depth + 1) for v in value]}
    if kind is dict and all(type(k) is str for k in value):
        budget.take(len(value))
        return {"t": "dict", "v": [[k, encode(v, budget, depth + 1)] for k, v in value.items()]}
    if callable(value):
        return {"t": "function"}
    return {"t": "object", "type": _type_name(value)}


def _decode_array(data: dict[str, Any], budget: _Budget, jax_arrays: bool) -> Any:
    _keys(data, {"t", "lib", "dtype", "shape", "data"})
    dtype, shape, lib = data["dtype"], data["shape"], data["lib"]
    if dtype not in DTYPES or lib not in ("jax", "numpy"):
        raise WireError("unknown array dtype or library")
    if not isinstance(shape, list) or len(shape) > MAX_NDIM or not all(type(n) is int and n >= 0 for n in shape):
        raise WireError("an array's shape must be a list of non-negative ints")
    size = math.prod(shape)
    budget.take(size)
    try:
        arr = np.array(data["data"], dtype=dtype)
    except (TypeError, ValueError, OverflowError):
        raise WireError("array data does not match its dtype") from None
    if list(arr.shape) != shape:
        raise WireError("array data does not match its shape")
    if jax_arrays and lib == "jax":
        import jax.numpy as jnp

        return jnp.asarray(arr)
    return arr


def _keys(data: dict[str, Any], allowed: set[str]) -> None:
    if set(data) != allowed:
        raise WireError(f"unexpected fields {sorted(set(data) ^ allowed)} in a {data.get('t')!r} value")


def decode(data: Any, jax_arrays: bool = False, budget: _Budget | None = None, depth: int = 0) -> Any:
    """The value that :func:`encode` made ``data`` from; arrays are NumPy unless ``jax_arrays`` (then as sent)."""
    budget = budget or _Budget()
    if depth > MAX_DEPTH:
        raise WireError(f"the value is nested more than {MAX_DEPTH} levels deep")
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        raise WireError("a value must be an object with a type tag 't'")
    t = data["t"]
    if t in ("none", "ellipsis", "function", "missing"):
        _keys(data, {"t"})
        return {"none": None, "ellipsis": Ellipsis, "function": Opaque("function"), "missing": Opaque("missing")}[t]
    if t == "object":
        _keys(data, {"t", "type"})
        if not isinstance(data["type"], str) or not TYPE_NAME.fullmatch(data["type"]):
            raise WireError("an object's type name must be an identifier")
        return Opaque(data["type"])
    if t in ("bool", "int", "float", "str"):
        _keys(data, {"t", "v"})
        v = data["v"]
        ok = {
            "bool": type(v) is bool,
            "int": type(v) is int and abs(v) < MAX_INT,
            "float": type(v) is float,
            "str": type(v) is str and len(v) <= MAX_STR,
        }[t]
        if not ok:
            raise WireError(f"a {t!r} value holds a {type(v).__name__}")
        if t == "str":
            budget.take(len(v))
        return v
    if t == "array":
        return _decode_array(data, budget, jax_arrays)
    if t == "key":
        _keys(data, {"t", "impl", "data"})
        if data["impl"] not in KEY_IMPLS:
            raise WireError("unknown PRNG key implementation")
        raw = _decode_array(data["data"], budget, False) if isinstance(data["data"], dict) else None
        if raw is None or raw.dtype != np.uint32:
            raise WireError("a key's data must be a uint32 array")
        import jax

        try:
            return jax.random.wrap_key_data(raw, impl=data["impl"])
        except (TypeError, ValueError):
            raise WireError("a key's data does not fit its implementation") from None
    if t in ("list", "tuple", "dict"):
        _keys(data, {"t", "v"})
        items = data["v"]
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise WireError(f"a {t} must hold a list of at most {MAX_ITEMS:,} items")
        budget.take(len(items))
        if t == "dict":
            if not all(isinstance(p, list) and len(p) == 2 and type(p[0]) is str for p in items):
                raise WireError("a dict must hold [str key, value] pairs")
            return {k: decode(v, jax_arrays, budget, depth + 1) for k, v in items}
        values = [decode(v, jax_arrays, budget, depth + 1) for v in items]
        return values if t == "list" else tuple(values)
    raise WireError(f"unknown type tag {t!r}")


def message_line(message: dict[str, Any]) -> bytes:
    """One message as a line of UTF-8 JSON."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=True).encode() + b"\n"


def parse_message(line: bytes, kinds: frozenset[str]) -> dict[str, Any]:
    """A message read from the other side, checked to be a JSON object whose ``kind`` is one of ``kinds``."""
    if len(line) > MAX_LINE:
        raise WireError("the message is too long")
    try:
        message = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise WireError("the message is not JSON") from None
    if not isinstance(message, dict) or message.get("kind") not in kinds:
        raise WireError(f"the message is not one of {sorted(kinds)}")
    return message
