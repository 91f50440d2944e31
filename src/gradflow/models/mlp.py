"""A multilayer perceptron whose parameters are a plain pytree with named layers.

``spec = MLP(in_dim, width, depth, out_dim, activation, init)`` is a small
frozen (hashable) description, so it can be a static argument of ``jax.jit``.
``init_mlp(key, spec, scale)`` draws the parameters: a dict
``{"dense_01": {"W": (in_dim, width), "b": (width,)}, ..., "output": {...}}``.
``forward(spec, params, x)`` maps a batch ``x`` of shape (batch, in_dim) to
logits of shape (batch, out_dim).

The hidden activations h_0 = x, h_1, ..., h_depth are returned on request, and
``forward`` accepts additive zero "probes" on them: the gradient of the loss
with respect to a probe is the backprop signal dL/dh_l (see ``gradflow.measure.probes``).

Two options compose with any activation and initializer (both off by default):

* ``batch_norm=True``: each hidden layer normalizes its pre-activations over the
  batch, h_l = f(BN(h_{l-1} W_l + b_l)), with parameters ``"bn_01": {"gamma",
  "beta"}``, ... and running averages in a separate ``state`` pytree
  (:func:`init_state`); see :mod:`gradflow.models.batchnorm`.
* ``residual=True``: hidden layers 2..depth become residual blocks,
  h_l = h_{l-1} + alpha * F(h_{l-1}) with F(h) = f(h) W_l + b_l (with batch
  norm, F(h) = BN(f(h) W_l + b_l)); layer 1 maps the input to the width as
  before. ``branch_scale`` is alpha (a number, or ``"inv_sqrt_depth"`` for
  1/sqrt(number of blocks)) and ``zero_branch=True`` starts each branch's last
  layer at zero (W_l, or with batch norm its gamma, as Goyal et al. 2017 do), so
  every block is the identity at first.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import optax

from gradflow._checks import choice, finite_float, is_concrete, positive_int
from gradflow._fast import split_keys
from gradflow.models import activations as act
from gradflow.models import batchnorm as bnorm
from gradflow.models.initializers import check_initializer, init_weight

Array = jax.Array
Params = dict[str, dict[str, Array]]

LOSSES = ("cross_entropy", "mse")
BRANCH_SCALES = ("inv_sqrt_depth",)
"""Named branch scales; any positive number is accepted too."""


@dataclass(frozen=True)
class MLP:
    """Static description of an MLP: sizes, activation and initializer names, and options.

    ``batch_norm``, ``residual``, ``branch_scale`` and ``zero_branch`` are described
    in the module docstring; residual nets need depth >= 2.
    """

    in_dim: int
    width: int
    depth: int
    out_dim: int
    activation: str = "relu"
    init: str = "he"
    batch_norm: bool = False
    residual: bool = False
    branch_scale: float | str = 1.0
    zero_branch: bool = False
    loss: str = "cross_entropy"

    def __post_init__(self) -> None:
        positive_int("in_dim", self.in_dim)
        positive_int("width", self.width)
        positive_int("depth", self.depth)
        positive_int("out_dim", self.out_dim)
        act.check_activation(self.activation)
        check_initializer(self.init)
        for flag in ("batch_norm", "residual", "zero_branch"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{flag} must be True or False; got {getattr(self, flag)!r}")
        if isinstance(self.branch_scale, str):
            choice("branch_scale", self.branch_scale, BRANCH_SCALES)
        else:
            finite_float("branch_scale", self.branch_scale, positive=True, allow_zero=False)
        if not self.residual and (self.zero_branch or self.branch_scale != 1.0):
            raise ValueError("branch_scale and zero_branch only apply to residual nets; pass residual=True")
        choice("loss", self.loss, LOSSES)
        if self.residual and self.depth < 2:
            raise ValueError(f"a residual MLP needs depth >= 2 (layer 1 maps in_dim to width); got depth {self.depth}")

    @property
    def n_blocks(self) -> int:
        """Number of residual blocks (depth - 1), or 0 for a plain net."""
        return self.depth - 1 if self.residual else 0

    @property
    def branch_gain(self) -> float:
        """The factor alpha that multiplies each residual branch."""
        if self.branch_scale == "inv_sqrt_depth":
            return 1.0 / self.n_blocks**0.5
        return float(self.branch_scale)

    @property
    def bn_names(self) -> tuple[str, ...]:
        """Names of the batch-norm layers (``"bn_01"`` .. one per hidden layer), or () without batch norm."""
        return tuple(f"bn_{i:02d}" for i in range(1, self.depth + 1)) if self.batch_norm else ()

    @property
    def layer_names(self) -> tuple[str, ...]:
        """Names of the dense layers in order, hidden ones then ``"output"``."""
        return (*(f"dense_{i:02d}" for i in range(1, self.depth + 1)), "output")

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths from input to output: (in_dim, width, ..., width, out_dim)."""
        return (self.in_dim,) + (self.width,) * self.depth + (self.out_dim,)

    # The model interface shared by MLP, ConvNet and RNN (see gradflow.models): what gradflow.measure uses.
    def init_params(self, key: Array, scale: float | Array = 1.0) -> Params:
        """:func:`init_mlp` of this spec."""
        return init_mlp(key, self, scale)

    def apply(self, params: Params, x: Array, probes: list[Array] | None = None) -> tuple[Array, list[Array]]:
        """(logits (batch, out_dim), [h_0, ..., h_depth]), probes added to h_l (batch norm in train mode)."""
        logits, hs, _ = forward_with_state(self, params, x, probes=probes)
        return logits, hs

    def loss_of(self, output: Array, y: Array) -> Array:
        """The spec's loss (``self.loss``) of the logits ``output`` against ``y``, mean over the batch."""
        return _loss(output, output, y, self.loss)

    def with_scale(self, params: Params, scale: float | Array) -> Params:
        """``params`` drawn at scale 1 turned into what ``init_params(key, scale)`` gives: every W times ``scale``.

        Biases are zero and batch-norm parameters are not drawn, so they stay as they are.
        """
        return {
            n: {**layer, "W": layer["W"] * scale} if n in self.layer_names else layer for n, layer in params.items()
        }


def init_mlp(key: Array, spec: MLP, scale: float | Array = 1.0) -> Params:
    """Draw parameters for ``spec``: weights by ``spec.init`` times ``scale``, zero biases.

    The output layer uses the same rule as the hidden layers. ``scale`` may be
    traced (``vmap`` over scales); a concrete scale must be finite and >= 0.
    With ``spec.batch_norm`` each hidden layer also gets ``"bn_NN": {"gamma": ones,
    "beta": zeros}``; with ``spec.zero_branch`` the residual blocks' W start at zero.
    """
    if not isinstance(spec, MLP):
        raise TypeError(f"spec must be a gradflow.models.mlp.MLP; got {type(spec).__name__}")
    if is_concrete(scale):
        finite_float("scale", scale, positive=True)
    keys = split_keys(key, spec.depth + 1)
    shapes = list(itertools.pairwise(spec.sizes))
    weights = [init_weight(k, shape, spec.init, scale) for k, shape in zip(keys, shapes, strict=True)]
    params: Params = {}
    for w, name in zip(weights, spec.layer_names, strict=True):
        params[name] = {"W": w, "b": _zeros(w.shape[1])}
    for name in spec.bn_names:
        params[name] = bnorm.init_bn(spec.width)
    if spec.zero_branch:  # each block's last layer starts at zero: W, or with batch norm its gamma
        for name, bn_name in zip(spec.layer_names[1:-1], spec.bn_names[1:] or (None,) * spec.n_blocks, strict=True):
            if bn_name:
                params[bn_name]["gamma"] = _zeros(spec.width)
            else:
                params[name]["W"] = _zeros(spec.width, spec.width)
    return params


def _zeros(*shape: int) -> Array:
    return jnp.zeros(shape, jnp.float32)


State = dict[str, dict[str, Array]]


def init_state(spec: MLP) -> State:
    """Batch-norm running averages ``{"bn_01": {"mean": (width,), "var": (width,)}, ...}``; ``{}`` without batch norm."""
    if not isinstance(spec, MLP):
        raise TypeError(f"spec must be a gradflow.models.mlp.MLP; got {type(spec).__name__}")
    return {name: bnorm.init_bn_state(spec.width) for name in spec.bn_names}


def _check_input(spec: MLP, x: Array) -> None:
    if getattr(x, "ndim", None) != 2 or x.shape[1] != spec.in_dim:
        raise ValueError(f"x must have shape (batch, {spec.in_dim}); got {getattr(x, 'shape', type(x).__name__)}")


def forward_with_state(
    spec: MLP,
    params: Params,
    x: Array,
    state: State | None = None,
    train: bool = True,
    probes: list[Array] | None = None,
    momentum: float = bnorm.MOMENTUM,
) -> tuple[Array, list[Array], State]:
    """Logits (batch, out_dim), activations [h_0, ..., h_depth] and the new batch-norm state.

    With batch norm, ``train=True`` normalizes by batch statistics and moves the
    running averages (starting from ``state``, or :func:`init_state` if None);
    ``train=False`` normalizes by the running averages in ``state`` (required)
    and returns it unchanged. Without batch norm the state is ``{}``.
    """
    _check_input(spec, x)
    if spec.batch_norm and not train and state is None:
        raise ValueError("eval mode (train=False) needs the running averages: pass state=")
    if state is None:
        state = init_state(spec)
    elif spec.batch_norm and set(state) != set(spec.bn_names):
        raise ValueError(f"state must have the keys {list(spec.bn_names)}; got {sorted(state)}")
    f = act.get(spec.activation)
    alpha = spec.branch_gain
    new_state: State = {}
    h = x if probes is None else x + probes[0]
    hs = [h]
    for i, name in enumerate(spec.layer_names[:-1], start=1):
        layer = params[name]
        block = spec.residual and i > 1  # layer 1 maps in_dim to the width
        u = (f(h) if block else h) @ layer["W"] + layer["b"]
        if spec.batch_norm:
            bn = spec.bn_names[i - 1]
            if train:
                u, new_state[bn] = bnorm.bn_train(u, params[bn], state[bn], momentum)
            else:
                u = bnorm.bn_eval(u, params[bn], state[bn])
        h = h + alpha * u if block else f(u)
        if probes is not None:
            h = h + probes[i]
        hs.append(h)
    out = params["output"]
    logits = h @ out["W"] + out["b"]
    return logits, hs, (new_state if train else state)


def forward(
    spec: MLP,
    params: Params,
    x: Array,
    probes: list[Array] | None = None,
    return_activations: bool = False,
    state: State | None = None,
    train: bool = True,
) -> Array | tuple[Array, list[Array]]:
    """Logits (batch, out_dim) of the MLP; optionally also [h_0, ..., h_depth].

    ``probes``, if given, is a list of depth + 1 arrays added to h_0..h_depth
    (pass zeros and differentiate with respect to them to get dL/dh_l).
    With batch norm, train mode (the default) uses batch statistics; pass
    ``state`` and ``train=False`` for eval mode (see :func:`apply`).
    """
    logits, hs, _ = forward_with_state(spec, params, x, state=state, train=train, probes=probes)
    return (logits, hs) if return_activations else logits


def loss_fn(
    spec: MLP,
    params: Params,
    x: Array,
    y: Array,
    loss: str = "cross_entropy",
    probes: list[Array] | None = None,
) -> Array:
    """Mean loss over the batch: softmax cross-entropy on integer labels ``y`` (batch,),
    or mean squared error against targets ``y`` (batch, out_dim). Batch norm in train mode."""
    return loss_and_state(spec, params, None, x, y, loss, probes)[0]


def loss_and_state(
    spec: MLP,
    params: Params,
    state: State | None,
    x: Array,
    y: Array,
    loss: str = "cross_entropy",
    probes: list[Array] | None = None,
) -> tuple[Array, State]:
    """(mean loss, new batch-norm state) in train mode; differentiate with ``has_aux=True``."""
    choice("loss", loss, LOSSES)
    logits, _, new_state = forward_with_state(spec, params, x, state=state, train=True, probes=probes)
    return _loss(logits, x, y, loss), new_state


def _loss(logits: Array, x: Array, y: Array, loss: str) -> Array:
    if loss == "cross_entropy":
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise ValueError(f"labels y must have shape ({x.shape[0]},) to match x; got {y.shape}")
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    if y.shape != logits.shape:
        raise ValueError(f"targets y must have shape {logits.shape} for the mse loss; got {y.shape}")
    return jnp.mean((logits - y) ** 2)


def accuracy(spec: MLP, params: Params, x: Array, y: Array, state: State | None = None) -> Array:
    """Fraction of rows of ``x`` whose arg-max logit equals the integer label ``y``.

    With ``state`` (batch-norm running averages) the net runs in eval mode.
    """
    logits = forward(spec, params, x, state=state, train=state is None)
    return jnp.mean(jnp.argmax(logits, axis=-1) == y)
