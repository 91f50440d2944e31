"""Tests of gradflow.training.clipping: the hand-written clip against optax, angles, the cliff."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gradflow.training import clipping


def _tree(scale: float = 1.0):
    k1, k2, k3 = jax.random.split(jax.random.key(0), 3)
    return {
        "a": {"W": scale * jax.random.normal(k1, (4, 3)), "b": scale * jax.random.normal(k2, (3,))},
        "c": [scale * jax.random.normal(k3, (5,))],
    }


def _flat(tree):
    return np.concatenate([np.ravel(leaf) for leaf in jax.tree.leaves(tree)])


def test_global_norm_matches_optax():
    tree = _tree(3.0)
    assert np.isclose(float(clipping.global_norm(tree)), float(optax.tree.norm(tree)), rtol=1e-6), (
        "global_norm should be the norm of all entries of all leaves together, as optax.tree.norm"
    )


@pytest.mark.parametrize("max_norm", [0.01, 1.0, 5.0, 1e6])
def test_clip_by_global_norm_matches_optax(max_norm):
    tree = _tree(3.0)
    mine = clipping.clip_by_global_norm(tree, max_norm)
    theirs, _ = optax.clip_by_global_norm(max_norm).update(tree, optax.EmptyState())
    assert jax.tree.structure(mine) == jax.tree.structure(tree), "clipping must keep the pytree's structure"
    np.testing.assert_allclose(
        _flat(mine), _flat(theirs), rtol=1e-6, atol=1e-7, err_msg="differs from optax.clip_by_global_norm"
    )
    assert float(clipping.global_norm(mine)) <= max_norm * (1 + 1e-6), "clipped norm exceeds max_norm"


def test_clip_below_threshold_is_identity_and_never_enlarges():
    tree = _tree(1e-6)
    clipped = clipping.clip_by_global_norm(tree, 1.0)
    np.testing.assert_array_equal(
        _flat(clipped), _flat(tree), err_msg="a gradient below the threshold must pass unchanged"
    )


def test_norm_clip_keeps_direction_value_clip_does_not():
    tree = {"x": jnp.array([3.0, 0.0]), "y": jnp.array([0.0, 4.0])}
    by_norm = clipping.clip_by_global_norm(tree, 1.0)
    by_value, _ = optax.clip(1.0).update(tree, optax.EmptyState())
    assert float(clipping.angle_degrees(tree, by_norm)) < 1e-4, "norm clipping should keep the direction"
    expected = np.degrees(np.arctan2(4, 3)) - 45.0  # (3, 4) becomes (1, 1)
    assert np.isclose(float(clipping.angle_degrees(tree, by_value)), expected, rtol=1e-4), (
        "value-clipping angle is wrong"
    )


def test_angle_is_accurate_for_tiny_and_right_angles():
    a = {"v": jnp.array([1.0, 0.0])}
    assert np.isclose(float(clipping.angle_degrees(a, {"v": jnp.array([0.0, 2.0])})), 90.0, rtol=1e-6)
    tiny = float(clipping.angle_degrees(a, {"v": jnp.array([1.0, 1e-5])}))
    assert np.isclose(tiny, np.degrees(1e-5), rtol=1e-3), f"small angles must not be lost to rounding; got {tiny}"


def test_bad_max_norm_raises():
    with pytest.raises(ValueError, match="max_norm"):
        clipping.clip_by_global_norm(_tree(), 0.0)
    with pytest.raises(TypeError, match="max_norm"):
        clipping.clip_by_global_norm(_tree(), "1")
    with pytest.raises(ValueError, match="same structure"):
        clipping.angle_degrees({"a": jnp.ones(2)}, [jnp.ones(2)])


def test_cliff_loss_matches_direct_recurrence_and_has_a_wall():
    w, b = 6.0, -3.0
    x = 0.5
    for _ in range(20):
        x = w / (1 + np.exp(-x)) + b
    assert np.isclose(float(clipping.cliff_loss(w, b, steps=20)), (x - 0.7) ** 2, rtol=1e-4)
    bs = jnp.linspace(-4.5, -1.5, 3001)
    grads = np.abs(np.asarray(jax.vmap(jax.grad(lambda b: clipping.cliff_loss(6.0, b, steps=20)))(bs)))
    assert grads.max() > 100 * np.median(grads), "the one-unit recurrence should have a cliff along b at w = 6"
