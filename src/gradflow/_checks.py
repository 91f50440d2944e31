"""Argument checks shared by the public functions: clear errors on bad input."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


def positive_int(name: str, value: object, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``, or a TypeError/ValueError saying what was expected."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}")
    return int(value)


def finite_float(name: str, value: object, *, positive: bool = False, allow_zero: bool = True) -> float:
    """``value`` as a finite float (optionally > 0 or >= 0); arrays of size 1 are accepted."""
    try:
        x = float(np.asarray(value).item()) if np.ndim(value) == 0 else None
    except (TypeError, ValueError):
        x = None
    if x is None or isinstance(value, (str, bytes, bool)):
        raise TypeError(f"{name} must be a real number; got {value!r} ({type(value).__name__})")
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite; got {x}")
    if positive and (x < 0 or (x == 0 and not allow_zero)):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}; got {x}")
    return x


def choice(name: str, value: object, choices: Iterable[str]) -> str:
    """``value`` if it is one of ``choices``; else an error listing them."""
    options = sorted(choices)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {options}; got {type(value).__name__}")
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; expected one of {options}")
    return value


def is_concrete(value: object) -> bool:
    """True when ``value`` is a Python/NumPy number or a concrete (untraced) array."""
    import jax

    return not isinstance(value, jax.core.Tracer)
