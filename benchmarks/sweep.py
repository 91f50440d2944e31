"""A weight-scale x seed sweep with ``gf.over_seeds`` (vmap + jit, compile included) against a Python loop of un-jitted calls.

.venv/bin/python benchmarks/sweep.py
"""

from __future__ import annotations

import sys
import time

import jax
import jax.numpy as jnp

import gradflow as gf

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from common import Result, save, table

SPEC = gf.MLP(32, 64, 20, 10, activation="tanh", init="gaussian_fan_in")
SCALES = jnp.linspace(0.5, 2.0, 16)
SEEDS = 8
LOOP_CALLS = 8


def signal_at_input(key, scale, x, y):
    """||dL/dx||: the backprop signal at the input of a random net with this weight scale."""
    return gf.backprop_signal(SPEC, SPEC.init_params(key, scale), x, y)[0]


def main() -> list[Result]:
    key = jax.random.key(0)
    x = jax.random.normal(key, (64, 32))
    y = jnp.arange(64) % 10
    keys = jax.random.split(key, SEEDS)
    start = time.perf_counter()
    fast = gf.over_seeds(lambda p: gf.backprop_signal(SPEC, p, x, y)[0], SPEC, keys, SCALES).block_until_ready()
    t_vmap = time.perf_counter() - start  # compilation included
    # The loop is slow (about a second a call): time LOOP_CALLS of its calls and scale to the whole sweep.
    pairs = [(k, s) for k in range(SEEDS) for s in range(len(SCALES))][:: SEEDS * len(SCALES) // LOOP_CALLS]
    with jax.disable_jit():
        signal_at_input(keys[0], SCALES[0], x, y)  # warm the eager op cache, as the loop would after one call
        start = time.perf_counter()
        slow = [signal_at_input(keys[k], SCALES[s], x, y) for k, s in pairs]
        t_loop = (time.perf_counter() - start) / len(pairs) * SEEDS * len(SCALES)
    for (k, s), value in zip(pairs, slow, strict=True):
        assert jnp.allclose(fast[k, s], value, rtol=1e-3), "the vmapped sweep must compute what the loop computes"
    return [
        Result(
            f"sweep of {SEEDS} seeds x {len(SCALES)} scales (depth {SPEC.depth}): gf.over_seeds, compile included",
            t_vmap * 1e3,
            "ms",
        ),
        Result(f"same sweep: Python loop of un-jitted calls ({len(pairs)} timed, scaled)", t_loop * 1e3, "ms"),
        Result("sweep speed-up, loop / vmap", t_loop / t_vmap, "x", target=20, better="higher"),
    ]


if __name__ == "__main__":
    results = main()
    print(table(results))
    save("sweep", results)
