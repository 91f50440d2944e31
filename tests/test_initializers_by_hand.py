"""The hand-written initializers of chapter 5, checked against jax.nn.initializers by their variances (and, where
jax.nn draws the same distribution, sample by sample)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradflow.models import initializers as ih

KEY = jax.random.key(0)
SHAPES = [(512, 256), (256, 512)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(ih.HAND_WRITTEN))
def test_hand_written_and_jax_have_the_target_variance(name, shape):
    target = ih.target_variance(name, shape)
    mine = ih.HAND_WRITTEN[name](KEY, shape)
    ref = ih.JAX_REFERENCE[name](jax.random.key(1), shape)
    assert mine.shape == shape and mine.dtype == jnp.float32
    # 131072 draws: the relative sampling error of a second moment is about sqrt(2/N) = 0.4%.
    for label, w in (("hand-written", mine), ("jax.nn", ref)):
        rel = float(jnp.mean(w**2)) / target - 1
        assert abs(rel) < 0.02, f"{label} {name}{shape}: second moment off its target {target:.3e} by {rel:.1%}"
        assert abs(float(jnp.mean(w))) < 5 * np.sqrt(target / w.size), f"{label} {name}: mean is not zero"


def test_the_variance_rules():
    assert ih.target_variance("he_normal", (100, 50)) == pytest.approx(2 / 100)
    assert ih.target_variance("lecun_normal", (100, 50)) == pytest.approx(1 / 100)
    assert ih.target_variance("xavier_normal", (100, 50)) == pytest.approx(2 / 150)
    assert ih.target_variance("xavier_uniform", (100, 50)) == pytest.approx(2 / 150)
    assert ih.target_variance("orthogonal", (100, 50)) == pytest.approx(1 / 100)
    a = ih.xavier_uniform_bound(784, 256)
    assert a == pytest.approx(np.sqrt(6 / 1040))
    assert a**2 / 3 == pytest.approx(ih.target_variance("xavier_uniform", (784, 256))), "U(-a, a) has variance a^2/3"


def test_xavier_uniform_fills_its_interval_and_nothing_more():
    shape = (300, 200)
    w = ih.xavier_uniform(KEY, shape)
    a = ih.xavier_uniform_bound(*shape)
    assert float(jnp.abs(w).max()) <= a, "a weight lies outside (-a, a)"
    assert float(jnp.abs(w).max()) > 0.99 * a, "the weights do not reach the bound: wrong interval?"
    # uniform: a quarter of the mass in each quarter of the interval
    counts = np.histogram(np.asarray(w), bins=4, range=(-a, a))[0] / w.size
    assert np.allclose(counts, 0.25, atol=0.01), f"not uniform: quarter masses {counts}"


def test_normal_ones_are_plain_gaussians_unlike_jax_truncated_normals():
    mine = ih.he_normal(KEY, (512, 256))
    ref = jax.nn.initializers.he_normal()(KEY, (512, 256))
    assert float(jnp.abs(mine).max() / jnp.std(mine)) > 3.5, "a plain Gaussian sample of 131072 reaches past 3.5 sigma"
    assert float(jnp.abs(ref).max() / jnp.std(ref)) < 2.28, "jax's he_normal is truncated at 2/0.8796 sigma"


@pytest.mark.parametrize("shape", [(512, 256), (256, 512), (64, 64)])
def test_xavier_uniform_and_orthogonal_equal_jax_sample_by_sample(shape):
    for name in ("xavier_uniform", "orthogonal"):
        for key in (KEY, jax.random.key(7)):
            mine, ref = ih.HAND_WRITTEN[name](key, shape), ih.JAX_REFERENCE[name](key, shape)
            np.testing.assert_allclose(np.asarray(mine), np.asarray(ref), rtol=0, atol=1e-6, err_msg=name)
    for name in ("lecun_normal", "xavier_normal", "he_normal"):  # jax.nn truncates these: different samples
        mine, ref = ih.HAND_WRITTEN[name](KEY, shape), ih.JAX_REFERENCE[name](KEY, shape)
        assert float(jnp.abs(mine - ref).max()) > np.sqrt(ih.target_variance(name, shape)), name


@pytest.mark.parametrize("shape", [(64, 32), (32, 64), (40, 40)])
def test_orthogonal_is_orthogonal(shape):
    w = ih.orthogonal(KEY, shape, gain=2.0)
    small = min(shape)
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(np.asarray(gram), 4.0 * np.eye(small), atol=1e-5, err_msg="W^T W (or W W^T) != gain^2 I")
    s = np.linalg.svd(np.asarray(w), compute_uv=False)
    np.testing.assert_allclose(s, 2.0, rtol=1e-5, err_msg="every singular value should equal the gain")


def test_different_keys_give_different_weights_same_key_same_weights():
    for name, init in ih.HAND_WRITTEN.items():
        a, b, c = init(KEY, (16, 8)), init(KEY, (16, 8)), init(jax.random.key(1), (16, 8))
        assert jnp.array_equal(a, b), f"{name} is not deterministic in its key"
        assert not jnp.array_equal(a, c), f"{name} ignores its key"


@pytest.mark.parametrize("name", sorted(ih.HAND_WRITTEN))
def test_bad_input_raises(name):
    init = ih.HAND_WRITTEN[name]
    with pytest.raises(ValueError, match="shape must be a pair"):
        init(KEY, (3, 4, 5))
    with pytest.raises(ValueError, match="n_in must be an integer >= 1"):
        init(KEY, (0, 4))
    with pytest.raises(TypeError, match="n_out must be an integer"):
        init(KEY, (3, 4.5))
    with pytest.raises(TypeError, match="key must be a JAX PRNG key"):
        init(0, (3, 4))


def test_unknown_rule_and_bad_gain_raise():
    with pytest.raises(ValueError, match="unknown initializer 'kaiming'"):
        ih.target_variance("kaiming", (3, 4))
    with pytest.raises(ValueError, match="gain must be >= 0"):
        ih.orthogonal(KEY, (3, 4), gain=-1.0)


def test_jax_he_normal_never_passes_its_truncation_point():
    """jax.nn's he_normal is truncated at 2 std of the untruncated normal, rescaled by 1/0.87962566: max 2.2737 std."""
    shape = (64, 32)
    target = np.sqrt(2.0 / shape[0])
    draw = jax.jit(jax.vmap(lambda k: jnp.abs(jax.nn.initializers.he_normal()(k, shape)).max()))
    largest = np.asarray(draw(jax.random.split(jax.random.key(0), 60))) / target
    assert largest.max() <= 2 / 0.87962566 + 1e-4, largest.max()
    assert largest.min() > 2.0, "with 2048 draws each key should come close to the truncation point"
