"""A fair comparison's plumbing: train over learning rates and seeds at once, then judge each side at its best rate.

``sweep_rates(run, rates, keys)`` calls ``run(rate, key)`` for every learning rate and seed in one
vmapped program (the arrays ``run`` returns gain two leading axes, (rates, seeds)).
``best_rate(curves, rates)`` reduces loss curves (rates, seeds, steps) to a :class:`RateChoice`: the
final loss of every run, which runs diverged, the median over seeds at each rate, the best rate, and
whether that best rate sits at an edge of the sweep (then the optimum is not bracketed and a page
must say so).

A run **diverged** when its final loss is not finite, or ends more than ``blowup`` times above the
loss it started from (a run at 1e9 did not "train badly": it left the basin).

``judge_runs(curves)`` is that judgement alone, for runs that are not a sweep of rates (e.g. the seeds of one
setting): each run's final loss (inf where it diverged) and whether it diverged. Both take ``final=``, a score
per run to judge instead of the mean of the last losses (e.g. a held-out loss measured after training); the
curves still give the divergence test its reference, the first loss, and a curve that ends non-finite diverged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gradflow._checks import positive_int

Array = jax.Array


def _rates(rates: Sequence[float]) -> np.ndarray:
    values = np.asarray(rates, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"rates must be a non-empty list of learning rates; got {rates!r}")
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(f"rates must be positive and finite; got {list(values)}")
    return values


def sweep_rates(run: Callable[[Array, Array], Any], rates: Sequence[float], keys: Array) -> Any:
    """``run(rate, key)`` for every rate and seed, vmapped; leaves gain leading axes (rates, seeds).

    ``run`` is traced once (rate and key are traced values), so it must not branch in Python on them.
    ``keys``: (seeds, ...) PRNG keys, e.g. ``jax.random.split(key, 4)``; or any pytree of arrays
    with that leading seeds axis, e.g. initial parameters drawn outside and stacked (``gf.stack_params``),
    then ``run(rate, params)``.
    """
    if not callable(run):
        raise TypeError(f"run must be a function run(rate, key); got {type(run).__name__}")
    values = jnp.asarray(_rates(rates), dtype=jnp.float32)
    leaves = jax.tree.leaves(keys)
    lengths = {leaf.shape[0] if getattr(leaf, "ndim", 0) >= 1 else 0 for leaf in leaves}
    if not leaves or len(lengths) != 1 or 0 in lengths:
        raise ValueError(
            f"keys must be a non-empty stack of PRNG keys, (seeds, ...), or a pytree of arrays with one leading "
            f"seeds axis; got {jax.tree.map(lambda a: getattr(a, 'shape', a), keys)!r}"
        )
    return jax.vmap(lambda rate: jax.vmap(lambda key: run(rate, key))(keys))(values)


@dataclass(frozen=True)
class RateChoice:
    """Loss curves over a sweep of learning rates and seeds, judged at each rate.

    rates: (r,) the learning rates swept; final: (r, seeds) each run's final loss (inf where it diverged);
    diverged: (r, seeds) bool.
    """

    rates: tuple[float, ...]
    final: np.ndarray
    diverged: np.ndarray

    @property
    def median(self) -> np.ndarray:
        """(r,) the median final loss over seeds at each rate (inf when half the seeds or more diverged)."""
        return np.median(self.final, axis=1)

    @property
    def best_index(self) -> int:
        """Index of the rate with the lowest median final loss (the first, if several tie)."""
        return int(np.argmin(self.median))

    @property
    def best_rate(self) -> float:
        return self.rates[self.best_index]

    @property
    def best(self) -> np.ndarray:
        """(seeds,) the final losses at the best rate."""
        return self.final[self.best_index]

    @property
    def at_edge(self) -> bool:
        """True when the best rate is the smallest or largest swept (the optimum is not bracketed)."""
        return len(self.rates) > 1 and self.best_index in (0, len(self.rates) - 1)

    def table(self, name: str = "") -> str:
        """One line: median final loss at each rate, k of n diverged where any did, and the best rate."""
        n = self.final.shape[1]
        cells = []
        for rate, median, k in zip(self.rates, self.median, self.diverged.sum(axis=1), strict=True):
            cells.append(f"lr {rate:g}: {median:.3f}" + (f" ({k} of {n} diverged)" if k else ""))
        if not np.isfinite(self.median).any():  # argmin of all-inf would name the first rate "best"
            verdict = "  no best lr: at every rate half the seeds or more diverged"
        else:
            verdict = f"  best lr {self.best_rate:g}" + (" (edge of the sweep)" if self.at_edge else "")
        return f"{name}{'  ' if name else ''}" + "  ".join(cells) + verdict


def judge_runs(
    curves: Any, *, last: int = 20, blowup: float = 10.0, final: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each run's final loss and whether it diverged, for loss curves (..., steps): two arrays shaped (...).

    The final loss is the mean of the last ``last`` steps, or ``final`` (one score per run, shaped (...)) when
    given. A run diverged when that is not finite or exceeds ``blowup`` times its first loss, or (with ``final``)
    when its curve ends non-finite; its final loss is then inf, so it can never look best.
    """
    losses = np.asarray(curves, dtype=float)
    if losses.ndim < 1 or losses.shape[-1] == 0:
        raise ValueError(f"curves must be loss curves (..., steps); got shape {losses.shape}")
    last = positive_int("last", last)
    if isinstance(blowup, bool) or not isinstance(blowup, (int, float)) or not blowup > 1:
        raise ValueError(f"blowup must be a number above 1; got {blowup!r}")
    with np.errstate(invalid="ignore", over="ignore"):
        if final is None:
            score, ended_badly = losses[..., -last:].mean(axis=-1), False
        else:
            score = np.asarray(final, dtype=float)
            if score.shape != losses.shape[:-1]:
                raise ValueError(f"final must have one score per run, shape {losses.shape[:-1]}; got {score.shape}")
            ended_badly = ~np.isfinite(losses[..., -1])
        diverged = ~np.isfinite(score) | (score > blowup * np.abs(losses[..., 0])) | ended_badly
    return np.where(diverged, np.inf, score), diverged


def best_rate(
    curves: Any, rates: Sequence[float], *, last: int = 20, blowup: float = 10.0, final: Any = None
) -> RateChoice:
    """Judge loss curves (rates, seeds, steps) at each rate: final loss = mean of the last ``last`` steps.

    A run diverged when that final loss is not finite or exceeds ``blowup`` times its first loss;
    its final loss is then inf, so it can never make a rate look best. ``final`` (rates, seeds): a score per
    run to judge instead (e.g. a held-out loss), with the curves still the divergence test's reference
    (see :func:`judge_runs`).
    """
    values = _rates(rates)
    losses = np.asarray(curves, dtype=float)
    if losses.ndim != 3 or losses.shape[0] != values.size:
        raise ValueError(f"curves must be (rates={values.size}, seeds, steps); got shape {losses.shape}")
    scores, diverged = judge_runs(losses, last=last, blowup=blowup, final=final)
    return RateChoice(tuple(float(r) for r in values), scores, diverged)
