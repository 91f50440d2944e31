"""What an optimizer does with a given sequence of gradients (chapter 10), for any ``optax`` optimizer.

:func:`updates_for` feeds an optimizer a given sequence of gradients and returns its updates:
this is how Adam's step is measured against the gradient's scale, and how a velocity (or its
absence) shows. Training runs use the one loop, ``gradflow.train``, with the optimizer built on
the page (``optax.sgd(0.1, momentum=0.9)``, ``optax.adam(1e-3)``, ...).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

Array = jax.Array


def updates_for(optimizer: optax.GradientTransformation, gradients: Array) -> Array:
    """The updates ``optimizer`` returns when fed ``gradients[t]`` at step t.

    ``gradients`` has shape (steps, *shape); the result has the same shape. The
    parameters passed to the optimizer are the gradient itself (the optimizers of
    this chapter do not read them). ``jnp.full((100, 1), g)`` gives a constant gradient.
    """
    if not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(f"optimizer must be an optax.GradientTransformation; got {type(optimizer).__name__}")
    gradients = jnp.asarray(gradients, jnp.float32)
    if gradients.ndim < 1 or gradients.shape[0] < 1:
        raise ValueError(f"gradients must have shape (steps, ...) with steps >= 1; got {gradients.shape}")

    def step(state, g):
        update, state = optimizer.update(g, state, g)
        return state, update

    return jax.lax.scan(step, optimizer.init(gradients[0]), gradients)[1]
