"""The small network of source article 000, done by hand, with the numbers of Mazur's worked example.

The weights, biases, inputs and targets are those of Matt Mazur, "A Step by Step
Backpropagation Example" (2015, https://mattmazur.com/2015/03/17/a-step-by-step-backpropagation-example/),
which works this network through one forward pass, one backward pass and one update by hand.

Two inputs i1, i2; two sigmoid hidden units h1, h2; two sigmoid outputs O1, O2;
weights w1..w8 and biases b1, b2 laid out as in the classic worked example
(net_h1 = w1 i1 + w2 i2 + b1, net_h2 = w3 i1 + w4 i2 + b1,
net_o1 = w5 h1 + w6 h2 + b2, net_o2 = w7 h1 + w8 h2 + b2) and the loss
J = 1/2 [(t1 - O1)^2 + (t2 - O2)^2] over *both* outputs.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

Array = jax.Array
NAMES = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "b1", "b2")


def example(dtype=jnp.float32) -> tuple[dict[str, Array], Array, Array]:
    """Mazur's worked example's numbers: params, inputs (i1, i2) and targets (t1, t2)."""
    values = (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55, 0.35, 0.60)
    params = {n: jnp.asarray(v, dtype) for n, v in zip(NAMES, values, strict=True)}
    return params, jnp.asarray([0.05, 0.10], dtype), jnp.asarray([0.01, 0.99], dtype)


def check_params(params: dict[str, Array]) -> None:
    """Raise if ``params`` is not a dict with exactly the keys w1..w8, b1, b2."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict with keys {NAMES}; got {type(params).__name__}")
    missing, extra = set(NAMES) - set(params), set(params) - set(NAMES)
    if missing or extra:
        raise ValueError(
            f"params must have exactly the keys {NAMES}; missing {sorted(missing)}, unexpected {sorted(extra)}"
        )


def forward(params: dict[str, Array], x: Array) -> dict[str, Array]:
    """All intermediate values of the forward pass for inputs ``x`` = (i1, i2)."""
    check_params(params)
    if jnp.shape(x) != (2,):
        raise ValueError(f"x must have shape (2,) = (i1, i2); got {jnp.shape(x)}")
    p = params
    i1, i2 = x[0], x[1]
    net_h1 = p["w1"] * i1 + p["w2"] * i2 + p["b1"]
    net_h2 = p["w3"] * i1 + p["w4"] * i2 + p["b1"]
    h1, h2 = jax.nn.sigmoid(net_h1), jax.nn.sigmoid(net_h2)
    net_o1 = p["w5"] * h1 + p["w6"] * h2 + p["b2"]
    net_o2 = p["w7"] * h1 + p["w8"] * h2 + p["b2"]
    return {
        "net_h1": net_h1,
        "h1": h1,
        "net_h2": net_h2,
        "h2": h2,
        "net_o1": net_o1,
        "O1": jax.nn.sigmoid(net_o1),
        "net_o2": net_o2,
        "O2": jax.nn.sigmoid(net_o2),
    }


def loss(params: dict[str, Array], x: Array, t: Array) -> Array:
    """J = 1/2 [(t1 - O1)^2 + (t2 - O2)^2]."""
    v = forward(params, x)
    return 0.5 * ((t[0] - v["O1"]) ** 2 + (t[1] - v["O2"]) ** 2)


def backprop(params: dict[str, Array], x: Array, t: Array) -> dict[str, Array]:
    """dJ/dparam for every parameter, by the chain rule written out by hand.

    delta_o = dJ/dnet_o = (O - t) O (1 - O) for each output; the hidden unit's
    delta sums over *both* output paths: dJ/dnet_h1 = (delta_o1 w5 + delta_o2 w7) h1 (1 - h1).
    """
    p, v = params, forward(params, x)
    d_o1 = (v["O1"] - t[0]) * v["O1"] * (1 - v["O1"])
    d_o2 = (v["O2"] - t[1]) * v["O2"] * (1 - v["O2"])
    d_h1 = (d_o1 * p["w5"] + d_o2 * p["w7"]) * v["h1"] * (1 - v["h1"])
    d_h2 = (d_o1 * p["w6"] + d_o2 * p["w8"]) * v["h2"] * (1 - v["h2"])
    return {
        "w1": d_h1 * x[0], "w2": d_h1 * x[1], "w3": d_h2 * x[0], "w4": d_h2 * x[1],
        "w5": d_o1 * v["h1"], "w6": d_o1 * v["h2"], "w7": d_o2 * v["h1"], "w8": d_o2 * v["h2"],
        "b1": d_h1 + d_h2, "b2": d_o1 + d_o2,
    }  # fmt: skip


def single_path_dJ_dw1(params: dict[str, Array], x: Array, t: Array) -> Array:
    """dJ/dw1 counted only through O1 (the path source article 000 follows), with the
    middle factor corrected to d net_o1 / d h1 = w5. Misses the path through O2."""
    p, v = params, forward(params, x)
    d_o1 = (v["O1"] - t[0]) * v["O1"] * (1 - v["O1"])
    return d_o1 * p["w5"] * v["h1"] * (1 - v["h1"]) * x[0]
