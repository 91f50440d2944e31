"""Small data sets that need no download: scikit-learn's 8x8 digits and synthetic sets."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gradflow import seeds
from gradflow._checks import finite_float, positive_int

Array = jax.Array


class Split(NamedTuple):
    """Train and test arrays: x of shape (n, features), y of shape (n,) or (n, outputs)."""

    x_train: Array
    y_train: Array
    x_test: Array
    y_test: Array


def _load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits file read directly: images (1797, 64) in 0..16 and labels (1797,).

    The same arrays as ``sklearn.datasets.load_digits(return_X_y=True)`` (a test checks), without
    importing scikit-learn, which takes longer than everything else a chapter's first cell does.
    """
    spec = importlib.util.find_spec("sklearn")
    path = Path(spec.submodule_search_locations[0], "datasets", "data", "digits.csv.gz") if spec else None
    if path is None or not path.is_file():
        from sklearn.datasets import load_digits

        return load_digits(return_X_y=True)
    table = np.loadtxt(path, delimiter=",")
    return table[:, :-1], table[:, -1].astype(int)


def digits(test_fraction: float = 0.25, seed: int = 0) -> Split:
    """scikit-learn's bundled 8x8 digits (1797 images, 10 classes), standardized per pixel.

    Pixels are scaled by the training set's mean and standard deviation; the
    split is a fixed permutation drawn from ``seed``.
    """
    test_fraction = finite_float("test_fraction", test_fraction)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1; got {test_fraction}")
    x, y = _load_digits()
    order = seeds.rng(seed).permutation(len(y))
    n_test = round(test_fraction * len(y))
    test, train = order[:n_test], order[n_test:]
    mean, std = x[train].mean(0), x[train].std(0) + 1e-6
    x = ((x - mean) / std).astype(np.float32)
    return Split(jnp.asarray(x[train]), jnp.asarray(y[train]), jnp.asarray(x[test]), jnp.asarray(y[test]))


def gaussian_inputs(key: Array, n: int, dim: int) -> Array:
    """Standard normal inputs of shape (n, dim)."""
    return jax.random.normal(key, (positive_int("n", n), positive_int("dim", dim)), jnp.float32)


def teacher_regression(key: Array, n: int, dim: int, out_dim: int = 1) -> tuple[Array, Array]:
    """Inputs (n, dim) and targets (n, out_dim) from a random linear teacher plus a tanh."""
    kx, kw = jax.random.split(key)
    x = gaussian_inputs(kx, n, dim)
    w = jax.random.normal(kw, (dim, positive_int("out_dim", out_dim))) / jnp.sqrt(dim)
    return x, jnp.tanh(x @ w)
