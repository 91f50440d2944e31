"""The course's one vector norm: it does not underflow (float32 squares of values below about 1e-19 are 0)."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp


@partial(jax.jit, static_argnames="axis")  # called eagerly, one compilation per shape instead of one per operation
def norm(x: jax.Array, axis: int | tuple[int, ...] | None = None) -> jax.Array:
    """2-norm of ``x`` over ``axis`` (all of it by default: the Frobenius norm), rescaled by max|x| first.

    ``jnp.linalg.norm`` squares the entries, so a float32 gradient of 1e-25 has norm 0; this
    divides by the largest magnitude first and multiplies it back, so it stays 1e-25.
    Shape: ``x``'s with ``axis`` removed (a scalar for ``axis=None``). Zeros give 0, an
    infinite entry gives inf and a NaN gives NaN, as ``jnp.linalg.norm`` would.
    """
    x = jnp.asarray(x)
    scale = jnp.max(jnp.abs(x), axis=axis, keepdims=True)
    safe = jnp.where((scale > 0) & jnp.isfinite(scale), scale, 1.0)
    out = safe * jnp.sqrt(jnp.sum(jnp.square(x / safe), axis=axis, keepdims=True))
    out = jnp.where(scale == 0, 0.0, out)  # NaN stays NaN
    out = jnp.where(jnp.isinf(scale), jnp.inf, out)
    return out.reshape(()) if axis is None else jnp.squeeze(out, axis=axis)
