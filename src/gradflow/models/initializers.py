"""Weight initializers: by name on ``jax.nn.initializers`` (what the networks use), and written out by hand.

**By name** (:func:`init_weight`): each name fixes a variance rule; ``scale`` multiplies the standard
deviation (the "gain"). ``"normal"`` is the exception: there ``scale`` *is* the standard
deviation, so ``init="normal", scale=0.01`` is the classic too-small init.

**By hand** (chapter 5's lesson): each function has the signature of a ``jax.nn.initializers``
initializer, ``init(key, shape, dtype=float32) -> array of shape (n_in, n_out)``, and draws
from the textbook distribution:

=================  =====================================  =======================
name               Var(W)                                 distribution
=================  =====================================  =======================
``lecun_normal``   1 / n_in        (LeCun et al. 1998)    Gaussian
``xavier_normal``  2 / (n_in + n_out) (Glorot & Bengio)   Gaussian
``xavier_uniform`` 2 / (n_in + n_out)                     U(-a, a), a = sqrt(6 / (n_in + n_out))
``he_normal``      2 / n_in        (He et al. 2015)       Gaussian
``orthogonal``     1 / max(n_in, n_out)                   orthonormal columns (or rows)
=================  =====================================  =======================

The networks of the course use the named ones (on ``jax.nn``);
``jax.nn``'s ``lecun_normal``, ``glorot_normal`` and ``he_normal`` sample a
*truncated* normal (cut at two standard deviations, then rescaled), so its
samples differ from these plain Gaussians while the variances agree; its
``glorot_uniform`` and ``orthogonal`` draw exactly the same matrices as
``xavier_uniform`` and ``orthogonal`` here, key for key. The tests compare
all five by their variances and those two sample by sample (:data:`JAX_REFERENCE`).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from gradflow._checks import choice, finite_float, positive_int
from gradflow._fast import eager_draw

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


def _draw(key: Array, shape: tuple[int, ...], recipe: str | tuple, scale: float | Array) -> Array:
    return eager_draw(_scaled_draw, key, shape, recipe, scale)


def _scaled_draw(key: Array, shape: tuple[int, ...], recipe: str | tuple, scale: float | Array) -> Array:
    return _initializer(recipe)(key, shape, jnp.float32) * scale


# ---------------------------------------------------------------- written out by hand (chapter 5)


def fans(shape: tuple[int, int]) -> tuple[int, int]:
    """(n_in, n_out) of a dense weight matrix of ``shape`` (n_in, n_out); raises on anything else."""
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise ValueError(f"shape must be a pair (n_in, n_out) of a dense weight matrix; got {shape!r}")
    return positive_int("n_in", shape[0]), positive_int("n_out", shape[1])


def _check_key(key: object) -> None:
    if not isinstance(key, jax.Array):
        raise TypeError(f"key must be a JAX PRNG key, e.g. jax.random.key(0); got {type(key).__name__}")


def target_variance(name: str, shape: tuple[int, int]) -> float:
    """The variance each hand-written initializer ``name`` aims for, for a weight of ``shape``."""
    n_in, n_out = fans(shape)
    rules = {
        "lecun_normal": 1.0 / n_in,
        "xavier_normal": 2.0 / (n_in + n_out),
        "xavier_uniform": 2.0 / (n_in + n_out),
        "he_normal": 2.0 / n_in,
        "orthogonal": 1.0 / max(n_in, n_out),
    }
    if name not in rules:
        raise ValueError(f"unknown initializer {name!r}; expected one of {sorted(rules)}")
    return rules[name]


def _gaussian(key: Array, shape: tuple[int, int], variance: float, dtype) -> Array:
    return jnp.sqrt(variance).astype(dtype) * jax.random.normal(key, shape, dtype)


def lecun_normal(key: Array, shape: tuple[int, int], dtype=jnp.float32) -> Array:
    """Gaussian with Var(W) = 1/n_in: keeps the variance of a linear layer's output equal to its input's."""
    _check_key(key)
    return _gaussian(key, shape, 1.0 / fans(shape)[0], dtype)


def he_normal(key: Array, shape: tuple[int, int], dtype=jnp.float32) -> Array:
    """Gaussian with Var(W) = 2/n_in: the 2 makes up for the half of the second moment a ReLU removes."""
    _check_key(key)
    return _gaussian(key, shape, 2.0 / fans(shape)[0], dtype)


def xavier_normal(key: Array, shape: tuple[int, int], dtype=jnp.float32) -> Array:
    """Gaussian with Var(W) = 2/(n_in + n_out): a compromise between the forward and backward pass."""
    _check_key(key)
    n_in, n_out = fans(shape)
    return _gaussian(key, shape, 2.0 / (n_in + n_out), dtype)


def xavier_uniform_bound(n_in: int, n_out: int) -> float:
    """a = sqrt(6/(n_in + n_out)): U(-a, a) has variance a^2/3 = 2/(n_in + n_out)."""
    n_in, n_out = fans((n_in, n_out))
    return (6.0 / (n_in + n_out)) ** 0.5


def xavier_uniform(key: Array, shape: tuple[int, int], dtype=jnp.float32) -> Array:
    """Uniform on (-a, a) with a = sqrt(6/(n_in + n_out)), so Var(W) = 2/(n_in + n_out)."""
    _check_key(key)
    n_in, n_out = fans(shape)
    a = xavier_uniform_bound(n_in, n_out)
    return jax.random.uniform(key, (n_in, n_out), dtype, minval=-a, maxval=a)


def orthogonal(key: Array, shape: tuple[int, int], dtype=jnp.float32, gain: float = 1.0) -> Array:
    """``gain`` times a random matrix with orthonormal columns (n_in >= n_out) or rows (n_in < n_out).

    From the QR decomposition of a Gaussian matrix, with the signs of R's diagonal
    moved into Q so the result is uniformly (Haar) distributed. Every singular
    value equals ``gain``, so it preserves norms exactly; Var(W) = gain^2 / max(n_in, n_out).
    """
    _check_key(key)
    n_in, n_out = fans(shape)
    gain = finite_float("gain", gain, positive=True)
    tall = (max(n_in, n_out), min(n_in, n_out))
    q, r = jnp.linalg.qr(jax.random.normal(key, tall, jnp.float32))
    q = q * jnp.sign(jnp.diag(r))
    w = q if n_in >= n_out else q.T
    return (gain * w).astype(dtype)


HAND_WRITTEN: dict[str, Callable[..., Array]] = {
    "lecun_normal": lecun_normal,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "he_normal": he_normal,
    "orthogonal": orthogonal,
}
"""The hand-written initializers by name."""

JAX_REFERENCE: dict[str, Callable[..., Array]] = {
    "lecun_normal": jax.nn.initializers.lecun_normal(),
    "xavier_normal": jax.nn.initializers.glorot_normal(),
    "xavier_uniform": jax.nn.initializers.glorot_uniform(),
    "he_normal": jax.nn.initializers.he_normal(),
    "orthogonal": jax.nn.initializers.orthogonal(),
}
"""The ``jax.nn.initializers`` counterpart of each hand-written initializer (same variance)."""
