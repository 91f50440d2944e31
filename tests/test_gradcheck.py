"""Finite differences and cmp."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradflow.measure.gradcheck import central_difference, cmp, relative_error


def test_central_difference_of_a_known_gradient():
    with jax.enable_x64(True):
        x = jnp.array([[0.3, -1.2], [2.0, 0.5]], jnp.float64)
        fd = central_difference(lambda v: jnp.sum(jnp.sin(v) * v**2), x, 1e-5)
        assert relative_error(fd, jnp.cos(x) * x**2 + 2 * x * jnp.sin(x)) < 1e-8


def test_cmp_reports_exact_close_and_differences():
    a = np.array([1.0, 2.0, 3.0])  # float64, so a 1e-7 perturbation is represented exactly enough
    assert cmp("same", a, a).exact
    near = cmp("near", a * (1 + 1e-7), a)
    assert near.close and not near.exact and near.max_rel_diff == pytest.approx(1e-7, rel=0.5, abs=0)
    far = cmp("far", a + 0.1, a)
    assert not far.close and far.max_abs_diff == pytest.approx(0.1, rel=1e-5)
    assert "exact: False" in str(far) and "max abs diff" in str(far)


def test_shape_mismatch_and_bad_step():
    with pytest.raises(ValueError, match="shapes differ"):
        cmp("w", jnp.ones(2), jnp.ones(3))
    with pytest.raises(ValueError, match="h must be > 0"):
        central_difference(jnp.sum, jnp.ones(2), 0.0)
