"""Activation functions and their derivatives, written out in closed form.

The functions themselves come from :mod:`jax.nn`; the derivatives are the
closed forms the course derives by hand (tests check them against
``jax.grad``). Every function works elementwise on arrays of any shape.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from gradflow._checks import choice

Array = jax.Array

LEAKY_SLOPE = 0.01
"""Default negative slope of leaky ReLU (Maas et al. 2013)."""


def sigmoid_prime(x: Array) -> Array:
    """sigmoid'(x) = s(x) (1 - s(x)); at most 1/4, reached at x = 0."""
    s = jax.nn.sigmoid(x)
    return s * (1.0 - s)


def tanh_prime(x: Array) -> Array:
    """tanh'(x) = 1 - tanh(x)^2; at most 1, reached at x = 0."""
    t = jnp.tanh(x)
    return 1.0 - t * t


def relu_prime(x: Array) -> Array:
    """ReLU'(x) = 1 for x > 0, else 0 (the value 0 at x = 0 matches jax.grad)."""
    return jnp.where(x > 0, 1.0, 0.0).astype(jnp.result_type(x, jnp.float32))


def leaky_relu(x: Array, negative_slope: float = LEAKY_SLOPE) -> Array:
    """Leaky ReLU with the course's default slope (``jax.nn.leaky_relu``)."""
    return jax.nn.leaky_relu(x, negative_slope)


def leaky_relu_prime(x: Array, negative_slope: float = LEAKY_SLOPE) -> Array:
    """Leaky ReLU'(x) = 1 for x > 0, else ``negative_slope``."""
    return jnp.where(x > 0, 1.0, negative_slope).astype(jnp.result_type(x, jnp.float32))


def gelu(x: Array) -> Array:
    """Exact (erf) GELU, x * Phi(x) (``jax.nn.gelu`` with ``approximate=False``)."""
    return jax.nn.gelu(x, approximate=False)


def gelu_prime(x: Array) -> Array:
    """GELU'(x) = Phi(x) + x phi(x); its maximum, about 1.129, is at x = sqrt(2)."""
    cdf = 0.5 * (1.0 + jax.scipy.special.erf(x / jnp.sqrt(2.0)))
    pdf = jnp.exp(-0.5 * x * x) / jnp.sqrt(2.0 * jnp.pi)
    return cdf + x * pdf


def linear(x: Array) -> Array:
    """The identity, for linear networks."""
    return x


def linear_prime(x: Array) -> Array:
    """Derivative of the identity: ones."""
    return jnp.ones_like(x)


ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array], Array]]] = {
    "sigmoid": (jax.nn.sigmoid, sigmoid_prime),
    "tanh": (jnp.tanh, tanh_prime),
    "relu": (jax.nn.relu, relu_prime),
    "leaky_relu": (leaky_relu, leaky_relu_prime),
    "gelu": (gelu, gelu_prime),
    "linear": (linear, linear_prime),
}
"""Name -> (function, derivative). The names every other module accepts."""

DERIVATIVE_BOUNDS: dict[str, tuple[float, float]] = {
    "sigmoid": (0.0, 0.25),
    "tanh": (0.0, 1.0),
    "relu": (0.0, 1.0),
    "leaky_relu": (LEAKY_SLOPE, 1.0),
    "gelu": (-0.1290, 1.1290),
    "linear": (1.0, 1.0),
}
"""Name -> (infimum, supremum) of the derivative over the real line (GELU rounded outwards)."""


def check_activation(name: object) -> str:
    """Return ``name`` if it names a known activation, else raise with the valid choices."""
    return choice("activation", name, ACTIVATIONS)


def get(name: str) -> Callable[[Array], Array]:
    """The activation function called ``name``."""
    return ACTIVATIONS[check_activation(name)][0]


def derivative(name: str) -> Callable[[Array], Array]:
    """The closed-form derivative of the activation called ``name``."""
    return ACTIVATIONS[check_activation(name)][1]
