"""Weight initializers by name, built on ``jax.nn.initializers``.

Each name fixes a variance rule; ``scale`` multiplies the standard deviation
(the "gain"). ``"normal"`` is the exception: there ``scale`` *is* the standard
deviation, so ``init="normal", scale=0.01`` is the classic too-small init.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

from gradflow._checks import choice, is_concrete
from gradflow._fast import FAST_COMPILE

Array = jax.Array
Initializer = Callable[[Array, tuple[int, ...], jnp.dtype], Array]

_INITIALIZERS: dict[str, Callable[[], Initializer]] = {
    "he": jax.nn.initializers.he_normal,
    "he_uniform": jax.nn.initializers.he_uniform,
    "lecun": jax.nn.initializers.lecun_normal,
    "xavier": jax.nn.initializers.glorot_normal,
    "xavier_uniform": jax.nn.initializers.glorot_uniform,
    "orthogonal": jax.nn.initializers.orthogonal,
    "normal": lambda: jax.nn.initializers.normal(stddev=1.0),
    "gaussian_fan_in": lambda: jax.nn.initializers.variance_scaling(1.0, "fan_in", "normal"),
    "zeros": lambda: jax.nn.initializers.zeros,
}

INITIALIZERS: tuple[str, ...] = tuple(sorted(_INITIALIZERS))
"""The initializer names every builder accepts.

``"lecun"``/``"he"``/``"xavier"`` sample truncated normals as ``jax.nn`` does;
``"gaussian_fan_in"`` samples a plain Gaussian with variance 1/n_in, the
textbook random network whose ``scale`` is the sigma_w of mean-field theory.
"""


def check_initializer(name: object) -> str:
    """Return ``name`` if it is a known initializer, else raise with the valid choices."""
    return choice("init", name, _INITIALIZERS)


def init_weight(key: Array, shape: tuple[int, int], name: str, scale: float | Array = 1.0) -> Array:
    """A weight matrix of ``shape`` (n_in, n_out) drawn by initializer ``name``, times ``scale``.

    ``scale`` may be a traced value, so this can be ``vmap``-ed over scales.
    """
    return _draw(key, tuple(shape), check_initializer(name), scale)


def variance_scaling(
    key: Array, shape: tuple[int, ...], factor: float, mode: str, distribution: str, in_axis: int, out_axis: int
) -> Array:
    """``jax.nn.initializers.variance_scaling(factor, mode, distribution, in_axis, out_axis)(key, shape)``.

    For kernels of other layouts (convolutions); drawn like :func:`init_weight`.
    """
    return _draw(key, tuple(shape), ("variance_scaling", factor, mode, distribution, in_axis, out_axis), 1.0)


def _initializer(recipe: str | tuple) -> Initializer:
    if isinstance(recipe, str):
        return _INITIALIZERS[recipe]()
    _, factor, mode, distribution, in_axis, out_axis = recipe
    return jax.nn.initializers.variance_scaling(factor, mode, distribution, in_axis=in_axis, out_axis=out_axis)


# Drawn eagerly, every new weight shape compiles the PRNG's hash (0.2-1.3 s on CPU, several per
# chapter). Small matrices compile with FAST_COMPILE and run as fast; their values can differ
# from a fully optimized draw in the last bit (the inverse error function's rounding). Large
# draws, where running time matters, stay optimized.
_SMALL = 2**15


def _draw(key: Array, shape: tuple[int, ...], recipe: str | tuple, scale: float | Array) -> Array:
    if not is_concrete(key):  # under a trace: part of the caller's computation
        return _scaled_draw(key, shape, recipe, scale)
    # Eagerly, one compiled draw per (shape, initializer), the scale a runtime argument.
    return (_draw_small if math.prod(shape) < _SMALL else _draw_large)(key, shape, recipe, scale)


def _scaled_draw(key: Array, shape: tuple[int, ...], recipe: str | tuple, scale: float | Array) -> Array:
    return _initializer(recipe)(key, shape, jnp.float32) * scale


_draw_large = jax.jit(_scaled_draw, static_argnums=(1, 2))
_draw_small = jax.jit(_scaled_draw, static_argnums=(1, 2), compiler_options=FAST_COMPILE)
