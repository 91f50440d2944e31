"""gradflow.seeds: seed set 0 is exactly the plain calls; every other set gives other, reproducible keys."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from gradflow import seeds


def bits(key: jax.Array) -> np.ndarray:
    return np.asarray(jax.random.key_data(key))


@pytest.mark.parametrize("value", [None, "", "0"])
def test_seed_set_zero_is_the_plain_calls(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(seeds.ENV, raising=False)
    else:
        monkeypatch.setenv(seeds.ENV, value)
    assert seeds.seed_set() == 0
    for n in (0, 1, 11):
        np.testing.assert_array_equal(bits(seeds.key(n)), bits(jax.random.key(n)))
    np.testing.assert_array_equal(seeds.rng(9).random(5), np.random.default_rng(9).random(5))
    np.testing.assert_array_equal(seeds.rng(3, 4).random(5), np.random.default_rng((3, 4)).random(5))


def test_another_seed_set_changes_every_key_reproducibly(monkeypatch):
    monkeypatch.setenv(seeds.ENV, "1")
    one = [bits(seeds.key(n)) for n in range(4)]
    draws = [seeds.rng(n).random(3) for n in range(4)] + [seeds.rng(3, 4).random(3)]
    for n in range(4):
        assert not np.array_equal(one[n], bits(jax.random.key(n)))
        assert not np.array_equal(draws[n], np.random.default_rng(n).random(3))
    assert not np.array_equal(draws[4], np.random.default_rng((3, 4)).random(3))
    np.testing.assert_array_equal(one[2], bits(seeds.key(2)))  # the same set gives the same keys
    monkeypatch.setenv(seeds.ENV, "2")
    assert not any(np.array_equal(one[n], bits(seeds.key(n))) for n in range(4))


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_a_bad_seed_set_is_refused(monkeypatch, value):
    monkeypatch.setenv(seeds.ENV, value)
    with pytest.raises(ValueError, match="GRADFLOW_SEED_SET must be a non-negative integer"):
        seeds.key(0)


def test_bad_seeds_are_refused():
    with pytest.raises(TypeError, match="integer seed"):
        seeds.key(1.0)
    with pytest.raises(TypeError, match="integer seed"):
        seeds.rng(True)
    with pytest.raises(ValueError, match="non-negative"):
        seeds.key(-3)
    with pytest.raises(TypeError, match="at least one"):
        seeds.rng()


def test_library_defaults_follow_the_seed_set(monkeypatch):
    """The digits split (and the library's default keys) come from the seed set too."""
    from gradflow import data

    monkeypatch.delenv(seeds.ENV, raising=False)
    base = np.asarray(data.digits().y_test)
    monkeypatch.setenv(seeds.ENV, "1")
    assert not np.array_equal(base, np.asarray(data.digits().y_test))
