"""gradflow._fast.concurrently: same results as a loop, in key order, really in parallel; clear errors."""

from __future__ import annotations

import threading

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradflow._fast import concurrently


def test_results_equal_a_loop_in_key_order():
    @jax.jit
    def f(x):
        return jnp.tanh(x @ x.T).sum(0)

    inputs = {f"seed {i}": jax.random.normal(jax.random.key(i), (8, 5)) for i in range(5)}
    got = concurrently(lambda name: np.asarray(f(inputs[name])), inputs, workers=3)
    assert list(got) == list(inputs), "the result's keys must come in the order of the keys given"
    for name, x in inputs.items():
        np.testing.assert_array_equal(got[name], np.asarray(f(x)), err_msg=f"{name}: differs from a plain call")


def test_calls_run_at_the_same_time():
    both_started = threading.Barrier(2, timeout=10)  # breaks (and the test fails) if the calls ran one after another

    def wait_for_the_other(key):
        both_started.wait()
        return key * 2

    assert concurrently(wait_for_the_other, [1, 2], workers=2) == {1: 2, 2: 4}


def test_one_worker_runs_in_this_thread():
    main = threading.get_ident()
    in_main = concurrently(lambda k: threading.get_ident() == main, ["a", "b", "c"], workers=1)
    assert in_main == {"a": True, "b": True, "c": True}, "with workers=1 the calls must run in the caller's thread"


def test_an_exception_in_a_call_is_raised():
    def fail_on_b(key):
        if key == "b":
            raise RuntimeError("b failed")
        return key

    with pytest.raises(RuntimeError, match="b failed"):
        concurrently(fail_on_b, ["a", "b", "c"], workers=2)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((42, [1]), TypeError, "fn must be callable"),
        ((str, "abc"), TypeError, "keys must be an iterable"),
        ((str, 3), TypeError, "keys must be an iterable"),
        ((str, [1, 1]), ValueError, "keys must be distinct"),
        ((str, [1, 2], 0), ValueError, "workers must be an integer >= 1"),
        ((str, [1, 2], 1.5), TypeError, "workers must be an integer"),
    ],
)
def test_bad_input_raises_a_clear_error(args, error, match):
    with pytest.raises(error, match=match):
        concurrently(*args)
