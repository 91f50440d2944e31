"""Weight initializers by name, built on ``jax.nn.initializers``.

Each name fixes a variance rule; ``scale`` multiplies the standard deviation
(the "gain"). ``"normal"`` is the exception: there ``scale`` *is* the standard
deviation, so ``init="normal", scale=0.01`` is the classic too-small init.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from gradflow._checks import choice

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
    w = _INITIALIZERS[check_initializer(name)]()(key, shape, jnp.float32)
    return w * scale
