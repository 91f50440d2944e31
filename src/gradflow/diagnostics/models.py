"""Loss functions of the course's networks, instrumented for :func:`diagnose` (a probe on every hidden layer)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import jax
import jax.numpy as jnp
import optax

from gradflow.diagnostics.capture import probe, record
from gradflow.models import mlp as networks
from gradflow.models import recurrent

Array = jax.Array
_KINDS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh"}


@lru_cache(maxsize=256)
def mlp_loss(spec: networks.MLP, loss: str = "cross_entropy") -> Callable:
    """``loss_fn(params, (x, y))`` of a :class:`gradflow.models.mlp.MLP` (train mode), probing h_0 (input) .. h_depth.

    The layers are named ``h0`` .. ``h{depth}``; with ``activations=capture()``
    their backprop signal equals :func:`gradflow.backprop_signal` (``gf.backprop_signal``).
    Residual blocks' outputs (h + F(h)) have no activation kind (no dead/saturated fractions).
    """
    if not isinstance(spec, networks.MLP):
        raise TypeError(f"spec must be a gradflow.models.mlp.MLP; got {type(spec).__name__}")
    kind = _KINDS.get(spec.activation)

    def fn(params, batch):
        x, y = batch
        kinds = [None] + [None if spec.residual and i > 1 else kind for i in range(1, spec.depth + 1)]
        probes = [probe(f"h{i}", jnp.zeros((x.shape[0], n), x.dtype), kinds[i]) for i, n in enumerate(spec.sizes[:-1])]
        logits, hs, _ = networks.forward_with_state(spec, params, x, probes=probes)
        for i, h in enumerate(hs):
            record(f"h{i}", h)
        if loss == "mse":
            return jnp.mean((logits - y) ** 2)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    return fn


@lru_cache(maxsize=64)
def rnn_loss(kind: str) -> Callable:
    """``loss_fn(params, (x, y))`` of :func:`gradflow.models.recurrent.sequence_loss`, probing h_t at every step ``h``.

    ``x`` is batch first, (batch, T, in_dim) (transposed to the module's time-first layout), ``y`` (batch, out_dim).
    The backprop signal is reported per step: ``h[0]`` .. ``h[T-1]``.
    """

    def fn(params, batch):
        x, y = batch
        xs = jnp.swapaxes(x, 0, 1)
        hidden = params["cell"]["W_h"].shape[0]
        p = probe(
            "h", jnp.zeros((xs.shape[0], xs.shape[1], hidden), xs.dtype), "tanh" if kind == "rnn" else None, steps=True
        )
        if kind == "rnn":
            record("h", recurrent.run(kind, params, xs, p))
        return recurrent.sequence_loss(kind, params, xs, y, p)

    return fn
