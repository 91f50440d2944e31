"""Recurrent networks: vanilla RNN, LSTM and GRU cells, run over time with ``lax.scan``.

Shapes: a batch of sequences ``xs`` is (T, batch, in_dim), time first; hidden
states are (T, batch, hidden). Parameters are plain dicts::

    {"cell": {"W_x": (in_dim, k*hidden), "W_h": (hidden, k*hidden), "b": (k*hidden,)},
     "out": {"W": (hidden, out_dim), "b": (out_dim,)}}

with k = 1 (rnn), 4 (lstm: gates i, f, g, o in that order) or 3 (gru: gates z, r, n).
The equations (``*`` is the elementwise product, sigma the logistic sigmoid):

- rnn:  h_t = tanh(x_t W_x + h_{t-1} W_h + b)
- lstm: i, f, o = sigma(.), g = tanh(.), c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t)
- gru (Cho et al. 2014, "reset before"): z, r = sigma(.), n = tanh(x_t W_xn + (r * h_{t-1}) W_hn + b_n),
  h_t = z * h_{t-1} + (1 - z) * n
- gru with ``reset_after=True`` (flax, PyTorch, cuDNN): n = tanh(x_t W_xn + b_n + r * (h_{t-1} W_hn + b_hn)), with
  one more bias ``cell["b_hn"]`` (hidden,); the reset gate multiplies after the recurrent matrix

The readout is linear on the last hidden state: y = h_T W_out + b_out.
``run`` accepts additive zero ``probes`` on h_t: the gradient of the loss with
respect to them is the backprop signal dL/dh_t (``gf.backprop_signal(gf.RNN(...), params, xs, ys)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gradflow._checks import choice, finite_float, positive_int
from gradflow.seeds import rng as course_rng

Array = jax.Array
Params = dict[str, dict[str, Array]]

KINDS = ("rnn", "lstm", "gru")
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
"""Number of hidden-size blocks in W_x, W_h and b for each kind of cell."""


def _check_kind(kind: object) -> str:
    return choice("kind", kind, KINDS)


@dataclass(frozen=True)
class RNN:
    """A one-layer recurrent network with a linear readout: the model interface of ``gradflow.models``.

    ``kind`` is "rnn", "lstm" or "gru"; the scales and forget bias are those of :func:`init_rnn`.
    ``reset_after`` (GRU only) picks flax's and PyTorch's GRU, where the reset gate multiplies h_{t-1} W_hn + b_hn,
    instead of Cho et al.'s, where it multiplies h_{t-1} before W_hn (the default).
    Its hidden states are h_1..h_T, one array (T, batch, hidden); its loss is the mean squared error.
    """

    kind: str
    in_dim: int
    hidden: int
    out_dim: int = 1
    recurrent_scale: float = 1.0
    input_scale: float = 1.0
    forget_bias: float = 1.0
    reset_after: bool = False

    def __post_init__(self) -> None:
        _check_kind(self.kind)
        if self.reset_after and self.kind != "gru":
            raise ValueError(f"reset_after applies to the GRU only; got kind {self.kind!r}")
        for name in ("in_dim", "hidden", "out_dim"):
            positive_int(name, getattr(self, name))

    def init_params(self, key: Array, scale: float = 1.0) -> Params:
        """:func:`init_rnn` with sigma_max(W_h blocks) = ``recurrent_scale * scale``."""
        return init_rnn(
            key,
            self.kind,
            self.in_dim,
            self.hidden,
            self.out_dim,
            recurrent_scale=self.recurrent_scale * scale,
            input_scale=self.input_scale,
            forget_bias=self.forget_bias,
            reset_after=self.reset_after,
        )

    def apply(self, params: Params, xs: Array, probes: Array | None = None) -> tuple[Array, Array]:
        """(readout (batch, out_dim), hidden states (T, batch, hidden)) on ``xs`` (T, batch, in_dim)."""
        hs = run(self.kind, params, xs, probes, reset_after=self.reset_after)
        return hs[-1] @ params["out"]["W"] + params["out"]["b"], hs

    def loss_of(self, output: Array, y: Array) -> Array:
        """Mean squared error of the readout against targets ``y`` (batch, out_dim)."""
        return jnp.mean((output - y) ** 2)

    def with_scale(self, params: Params, scale: float | Array) -> Params:
        """``params`` drawn at scale 1 turned into what ``init_params(key, scale)`` gives: W_h times ``scale``."""
        return scale_recurrent(params, scale)


def _orthogonal(z: np.ndarray) -> np.ndarray:
    """The orthogonal factor of the square Gaussian matrix ``z``, signs fixed so it is Haar distributed."""
    q, r = np.linalg.qr(z)
    return q * np.sign(np.diag(r))


def init_rnn(
    key: Array,
    kind: str,
    in_dim: int,
    hidden: int,
    out_dim: int,
    *,
    recurrent_scale: float = 1.0,
    input_scale: float = 1.0,
    forget_bias: float = 1.0,
    reset_after: bool = False,
) -> Params:
    """Parameters of a one-layer recurrent network with a linear readout.

    Every hidden x hidden block of ``W_h`` is an orthogonal matrix times
    ``recurrent_scale``, so its largest singular value is exactly
    ``recurrent_scale`` (for the rnn, sigma_max(W_hh) = recurrent_scale).
    ``W_x`` is Gaussian with variance ``input_scale**2 / in_dim``; biases are zero
    except the LSTM forget gate's, which is ``forget_bias`` (1 by default, as
    Gers et al. 2000 and Jozefowicz et al. 2015 recommend). The readout is
    Gaussian with variance 1 / hidden. All Gaussians come from one draw of
    ``jax.random.normal(key, ...)``; the QR factorization runs in NumPy (float64),
    which spares XLA compilations. (Under ``vmap``, scale with :func:`scale_recurrent`.) With
    ``reset_after`` (GRU only) the cell also holds the recurrent bias ``b_hn`` (hidden,), zero.
    """
    kind = _check_kind(kind)
    in_dim, hidden, out_dim = (
        positive_int(n, v) for n, v in (("in_dim", in_dim), ("hidden", hidden), ("out_dim", out_dim))
    )
    recurrent_scale = finite_float("recurrent_scale", recurrent_scale, positive=True)
    input_scale = finite_float("input_scale", input_scale, positive=True)
    forget_bias = finite_float("forget_bias", forget_bias)
    k = GATES[kind]
    sizes = (k * hidden * hidden, in_dim * k * hidden, hidden * out_dim)
    z = np.asarray(jax.random.normal(key, (sum(sizes),)), np.float64)
    z_h, z_x, z_out = np.split(z, np.cumsum(sizes)[:-1])
    blocks = z_h.reshape(k, hidden, hidden)
    w_h = np.concatenate([_orthogonal(b) for b in blocks], axis=1) * recurrent_scale
    w_x = z_x.reshape(in_dim, k * hidden) * (input_scale / np.sqrt(in_dim))
    b = np.zeros(k * hidden)
    if kind == "lstm":
        b[hidden : 2 * hidden] = forget_bias
    w_out = z_out.reshape(hidden, out_dim) / np.sqrt(hidden)
    if reset_after and kind != "gru":
        raise ValueError(f"reset_after applies to the GRU only; got kind {kind!r}")
    f32 = lambda a: jnp.asarray(a, jnp.float32)
    cell = {"W_x": f32(w_x), "W_h": f32(w_h), "b": f32(b)}
    if reset_after:
        cell["b_hn"] = jnp.zeros(hidden, jnp.float32)
    return {"cell": cell, "out": {"W": f32(w_out), "b": jnp.zeros(out_dim)}}


def rnn_step(cell: dict[str, Array], h: Array, x: Array) -> Array:
    """One vanilla RNN step: h (batch, hidden), x (batch, in_dim) -> new h (batch, hidden)."""
    return jnp.tanh(x @ cell["W_x"] + h @ cell["W_h"] + cell["b"])


class LSTMState(NamedTuple):
    """The LSTM's two state vectors, each (batch, hidden): output h and cell c."""

    h: Array
    c: Array


def lstm_gates(cell: dict[str, Array], h: Array, x: Array) -> tuple[Array, Array, Array, Array]:
    """The gates (i, f, g, o), each (batch, hidden), for input x and previous output h."""
    a = x @ cell["W_x"] + h @ cell["W_h"] + cell["b"]
    ai, af, ag, ao = jnp.split(a, 4, axis=-1)
    return jax.nn.sigmoid(ai), jax.nn.sigmoid(af), jnp.tanh(ag), jax.nn.sigmoid(ao)


def lstm_step(cell: dict[str, Array], state: LSTMState, x: Array) -> LSTMState:
    """One LSTM step: c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t)."""
    i, f, g, o = lstm_gates(cell, state.h, x)
    c = f * state.c + i * g
    return LSTMState(o * jnp.tanh(c), c)


def gru_step(cell: dict[str, Array], h: Array, x: Array, reset_after: bool = False) -> Array:
    """One GRU step: h_t = z * h_{t-1} + (1 - z) * n, shapes as :func:`rnn_step`.

    Cho et al. 2014 ("reset before", the default): n = tanh(x W_xn + b_n + (r * h) W_hn). With ``reset_after``
    (flax.linen.GRUCell, PyTorch, cuDNN): n = tanh(x W_xn + b_n + r * (h W_hn + b_hn)), ``b_hn`` from the cell
    (zero if absent). The two agree when r = 1 and b_hn = 0, and differ otherwise.
    """
    n_h = h.shape[-1]
    ax = x @ cell["W_x"] + cell["b"]
    w_h = cell["W_h"]
    zr = jax.nn.sigmoid(ax[..., : 2 * n_h] + h @ w_h[:, : 2 * n_h])
    z, r = zr[..., :n_h], zr[..., n_h:]
    if reset_after:
        n = jnp.tanh(ax[..., 2 * n_h :] + r * (h @ w_h[:, 2 * n_h :] + cell.get("b_hn", 0.0)))
    else:
        n = jnp.tanh(ax[..., 2 * n_h :] + (r * h) @ w_h[:, 2 * n_h :])
    return z * h + (1.0 - z) * n


def _check_xs(params: Params, xs: Array) -> None:
    if not isinstance(params, dict) or "cell" not in params:
        raise TypeError("params must be a dict from init_rnn with keys 'cell' and 'out'")
    if getattr(xs, "ndim", None) != 3:
        raise ValueError(f"xs must have shape (T, batch, in_dim); got shape {getattr(xs, 'shape', None)}")
    if xs.shape[2] != params["cell"]["W_x"].shape[0]:
        raise ValueError(f"xs has {xs.shape[2]} input features; the cell expects {params['cell']['W_x'].shape[0]}")


def run(
    kind: str,
    params: Params,
    xs: Array,
    probes: Array | None = None,
    return_cells: bool = False,
    reset_after: bool = False,
):
    """Hidden states h_1..h_T, shape (T, batch, hidden), of the network on ``xs`` (T, batch, in_dim).

    The initial state is zero. ``probes`` (T, batch, hidden), if given, are added
    to each h_t before it is passed on (zeros change nothing; their gradient is
    dL/dh_t). With ``return_cells`` an LSTM also returns its cell states c_t
    (T, batch, hidden) as a second value. ``reset_after`` picks the GRU variant (:func:`gru_step`).
    """
    kind = _check_kind(kind)
    _check_xs(params, xs)
    cell = params["cell"]
    n_h = cell["W_h"].shape[0]
    batch = xs.shape[1]
    if probes is None:
        probes = jnp.zeros((xs.shape[0], batch, n_h), xs.dtype)
    h0 = jnp.zeros((batch, n_h), xs.dtype)

    if kind == "lstm":

        def step(state, inputs):
            x, p = inputs
            new = lstm_step(cell, state, x)
            new = LSTMState(new.h + p, new.c)
            return new, (new.h, new.c)

        _, (hs, cs) = jax.lax.scan(step, LSTMState(h0, h0), (xs, probes))
        return (hs, cs) if return_cells else hs

    if reset_after and kind != "gru":
        raise ValueError(f"reset_after applies to the GRU only; got kind {kind!r}")
    cell_step = rnn_step if kind == "rnn" else partial(gru_step, reset_after=reset_after)

    def step(h, inputs):
        x, p = inputs
        h = cell_step(cell, h, x) + p
        return h, h

    _, hs = jax.lax.scan(step, h0, (xs, probes))
    return (hs, None) if return_cells else hs


def predict(kind: str, params: Params, xs: Array, probes: Array | None = None) -> Array:
    """Linear readout of the last hidden state: (batch, out_dim)."""
    hs = run(kind, params, xs, probes)
    return hs[-1] @ params["out"]["W"] + params["out"]["b"]


def sequence_loss(kind: str, params: Params, xs: Array, ys: Array, probes: Array | None = None) -> Array:
    """Mean squared error of :func:`predict` against targets ``ys`` (batch, out_dim)."""
    return jnp.mean((predict(kind, params, xs, probes) - ys) ** 2)


def scale_recurrent(params: Params, scale: float | Array) -> Params:
    """``params`` with the recurrent matrix W_h multiplied by ``scale``.

    For parameters from :func:`init_rnn` with ``recurrent_scale=1`` (orthogonal
    blocks), sigma_max of every block of the result is ``scale``.
    """
    return {**params, "cell": {**params["cell"], "W_h": params["cell"]["W_h"] * scale}}


# ----------------------------------------------------------------------------- the adding problem

ADDING_BASELINE_MSE = 1.0 / 6.0
"""MSE of always predicting 1, the mean of the sum of two U(0, 1) values: Var = 2/12."""


def _adding_arrays(rng, batches, batch, lag, window, length):
    """values (n, T, batch) and the two marker positions (n, batch) each, as NumPy arrays."""
    values = rng.random((batches, length, batch), dtype=np.float32)
    first = rng.integers(length - lag - window, length - lag, (batches, batch))
    second = rng.integers(length - window, length, (batches, batch))
    return values, first, second


def _adding_inputs(values, first, second):
    """xs (..., T, batch, 2) and ys (..., batch, 1) from values (..., T, batch) and marker positions (..., batch)."""
    steps = jnp.arange(values.shape[-2])[:, None]
    markers = ((steps == first[..., None, :]) | (steps == second[..., None, :])).astype(values.dtype)
    ys = jnp.sum(values * markers, axis=-2)[..., None]
    return jnp.stack([values, markers], axis=-1), ys


def _check_adding(batch, lag, window, length):
    lag, window, batch = positive_int("lag", lag), positive_int("window", window), positive_int("batch", batch)
    length = lag + window if length is None else positive_int("length", length)
    if lag < window:
        raise ValueError(f"lag must be at least the marker window ({window}); got {lag}")
    if length < lag + window:
        raise ValueError(f"length must be at least lag + window = {lag + window}; got {length}")
    return batch, lag, window, length


def adding_problem(
    seed: int | np.random.Generator,
    batch: int,
    lag: int,
    window: int = 10,
    batches: int | None = None,
    length: int | None = None,
) -> tuple[Array, Array]:
    """The adding problem (Hochreiter & Schmidhuber 1997): xs (T, batch, 2) and ys (batch, 1).

    Channel 0 holds values drawn from U(0, 1); channel 1 holds two markers (1.0).
    The second marker falls in the last ``window`` steps and the first in the
    ``window`` steps that end ``lag`` steps before the end, so the first marked
    value must be remembered for between ``lag + 1`` and ``lag + window`` steps
    (to the end of the sequence). The target is the sum of the two marked
    values. The length T is ``lag + window`` unless ``length`` is given (longer
    sequences start with unmarked values; equal lengths let several lags share
    one compiled function). With ``batches`` = n the arrays get a leading axis
    of n batches. Drawn with NumPy's generator from ``seed``: no compilation,
    identical run to run.
    """
    batch, lag, window, length = _check_adding(batch, lag, window, length)
    n = 1 if batches is None else positive_int("batches", batches)
    rng = seed if isinstance(seed, np.random.Generator) else course_rng(seed)
    xs, ys = _adding_inputs(*(jnp.asarray(a) for a in _adding_arrays(rng, n, batch, lag, window, length)))
    return (xs[0], ys[0]) if batches is None else (xs, ys)
