"""The MLP builder: shapes, named layers, initial variances, probes, bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradflow.models.initializers import INITIALIZERS, init_weight
from gradflow.models.mlp import MLP, accuracy, forward, init_mlp, loss_fn

KEY = jax.random.key(0)


def test_params_are_named_layers_with_the_right_shapes():
    spec = MLP(5, 7, 3, 2)
    params = init_mlp(KEY, spec)
    assert list(params) == ["dense_01", "dense_02", "dense_03", "output"]
    assert params["dense_01"]["W"].shape == (5, 7) and params["output"]["W"].shape == (7, 2)
    assert all(float(jnp.abs(p["b"]).max()) == 0.0 for p in params.values())


@pytest.mark.parametrize(
    ("init", "variance"),
    [("he", 2 / 400), ("lecun", 1 / 400), ("xavier", 2 / 800), ("gaussian_fan_in", 1 / 400), ("normal", 1.0)],
)
def test_initial_weight_variance_follows_the_rule(init, variance):
    w = init_weight(KEY, (400, 400), init)
    assert float(jnp.var(w)) == pytest.approx(variance, rel=0.03)


def test_scale_multiplies_the_standard_deviation_and_can_be_vmapped():
    scales = jnp.array([0.5, 1.0, 2.0])
    stds = jax.vmap(lambda s: jnp.std(init_weight(KEY, (300, 300), "lecun", s)))(scales)
    np.testing.assert_allclose(stds / stds[1], scales, rtol=1e-5)


def test_orthogonal_init_is_orthogonal():
    w = init_weight(KEY, (64, 64), "orthogonal")
    np.testing.assert_allclose(w.T @ w, np.eye(64), atol=1e-5)


def test_forward_returns_each_hidden_activation_and_zero_probes_change_nothing():
    spec = MLP(4, 6, 3, 2, activation="tanh", init="xavier")
    params = init_mlp(KEY, spec)
    x = jax.random.normal(KEY, (8, 4))
    logits, hs = forward(spec, params, x, return_activations=True)
    assert logits.shape == (8, 2) and [h.shape for h in hs] == [(8, 4), (8, 6), (8, 6), (8, 6)]
    assert float(jnp.abs(hs[1]).max()) < 1.0  # tanh outputs
    probes = [jnp.zeros_like(h) for h in hs]
    np.testing.assert_array_equal(forward(spec, params, x, probes=probes), logits)


def test_losses_and_accuracy():
    spec = MLP(4, 6, 1, 3)
    params = jax.tree.map(jnp.zeros_like, init_mlp(KEY, spec))
    x = jnp.ones((5, 4))
    assert float(loss_fn(spec, params, x, jnp.zeros(5, jnp.int32))) == pytest.approx(np.log(3), rel=1e-6)
    assert float(loss_fn(spec, params, x, jnp.ones((5, 3)), loss="mse")) == pytest.approx(1.0)
    assert float(accuracy(spec, params, x, jnp.zeros(5, jnp.int32))) == 1.0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"depth": 0}, ValueError, "depth must be an integer >= 1"),
        ({"width": -3}, ValueError, "width must be an integer >= 1"),
        ({"width": 2.5}, TypeError, "width must be an integer"),
        ({"activation": "softsign"}, ValueError, "unknown activation 'softsign'; expected one of"),
        ({"init": "kaiming"}, ValueError, "unknown init 'kaiming'; expected one of"),
    ],
)
def test_bad_specs_raise_clear_errors(kwargs, error, match):
    base = {"in_dim": 4, "width": 8, "depth": 2, "out_dim": 3}
    with pytest.raises(error, match=match):
        MLP(**{**base, **kwargs})


@pytest.mark.parametrize("scale", [float("nan"), float("inf"), -1.0])
def test_bad_scales_raise(scale):
    with pytest.raises(ValueError, match="scale must be"):
        init_mlp(KEY, MLP(4, 8, 2, 3), scale)


def test_wrong_input_shapes_raise():
    spec = MLP(4, 8, 2, 3)
    params = init_mlp(KEY, spec)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 4\)"):
        forward(spec, params, jnp.ones((5, 3)))
    with pytest.raises(ValueError, match="labels y must have shape"):
        loss_fn(spec, params, jnp.ones((5, 4)), jnp.zeros((4,), jnp.int32))
    with pytest.raises(ValueError, match="unknown loss"):
        loss_fn(spec, params, jnp.ones((5, 4)), jnp.zeros((5,), jnp.int32), loss="hinge")
    with pytest.raises(TypeError, match="spec must be"):
        init_mlp(KEY, {"depth": 2})


def test_every_initializer_name_works():
    for name in INITIALIZERS:
        w = init_weight(KEY, (16, 8), name)
        assert w.shape == (16, 8) and bool(jnp.all(jnp.isfinite(w)))


def test_stack_params_stacks_leaves_and_rejects_an_empty_list():
    from gradflow import stack_params

    a, b = init_mlp(KEY, MLP(3, 4, 2, 2)), init_mlp(jax.random.key(1), MLP(3, 4, 2, 2))
    stacked = stack_params([a, b])
    assert isinstance(stacked["output"]["W"], jax.Array), "stacked leaves should be jax arrays"
    np.testing.assert_array_equal(stacked["output"]["W"][1], b["output"]["W"])
    with pytest.raises(ValueError, match="at least one"):
        stack_params([])


@pytest.mark.parametrize("init", ["he", "orthogonal", "xavier_uniform"])
def test_init_mlp_draws_each_layer_from_its_own_key(init):
    """Layer l is drawn from the l-th key of jax.random.split(key, depth + 1): the same numbers as one draw per layer."""
    spec = MLP(5, 8, 4, 3, init=init)
    params = init_mlp(KEY, spec, 0.7)
    keys = jax.random.split(KEY, spec.depth + 1)
    for k, name, shape in zip(keys, spec.layer_names, zip(spec.sizes[:-1], spec.sizes[1:], strict=True), strict=True):
        np.testing.assert_array_equal(params[name]["W"], init_weight(k, shape, init, 0.7), err_msg=name)


@pytest.mark.parametrize("shape", [(16, 8), (300, 200)])  # a small draw (fast-compiled) and a large one
def test_init_weight_is_jax_nn_initializer_up_to_the_last_bit(shape):
    """Small eager draws compile at XLA's lowest optimization level: the values may differ only by rounding."""
    for name, reference in [("xavier", jax.nn.initializers.glorot_normal()), ("he", jax.nn.initializers.he_normal())]:
        ours, theirs = init_weight(KEY, shape, name, 2.0), 2.0 * reference(KEY, shape, jnp.float32)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7, err_msg=f"{name} {shape}")
        traced = jax.jit(lambda k, name=name: init_weight(k, shape, name, 2.0))(KEY)
        np.testing.assert_allclose(traced, theirs, rtol=1e-6, atol=1e-7, err_msg=f"{name} {shape} under jit")


def test_variance_scaling_matches_jax_nn_for_conv_kernels():
    from gradflow.models.initializers import variance_scaling

    shape = (8, 3, 3, 3)  # (out, in, kh, kw): fan_in = 3 * 9
    ours = variance_scaling(KEY, shape, 2.0, "fan_in", "normal", in_axis=1, out_axis=0)
    theirs = jax.nn.initializers.variance_scaling(2.0, "fan_in", "normal", in_axis=1, out_axis=0)(KEY, shape)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def test_the_speed_helpers_give_the_plain_calls_numbers():
    """gradflow._fast: keys split on the host are jax.random.split's keys; stacking on the host is jnp.stack."""
    from gradflow._fast import split_keys, stack_params

    want = jax.random.key_data(jax.random.split(KEY, 5))
    got = split_keys(KEY, 5)
    assert len(got) == 5
    np.testing.assert_array_equal(np.stack([jax.random.key_data(k) for k in got]), want)
    traced = jax.jit(lambda k: jnp.stack([jax.random.key_data(x) for x in split_keys(k, 5)]))(KEY)
    np.testing.assert_array_equal(traced, want)
    trees = [{"a": jnp.full((2,), float(i))} for i in range(3)]
    np.testing.assert_array_equal(stack_params(trees)["a"], jnp.stack([t["a"] for t in trees]))


def test_the_build_adds_its_xla_flags_once_and_keeps_the_callers():
    from gradflow._fast import BUILD_XLA_FLAGS, build_xla_flags

    assert build_xla_flags("").split() == list(BUILD_XLA_FLAGS)
    both = build_xla_flags("--xla_cpu_max_isa=SSE4_2")
    assert both.split() == ["--xla_cpu_max_isa=SSE4_2", *BUILD_XLA_FLAGS]
    assert build_xla_flags(both) == both
    assert build_xla_flags("--xla_backend_optimization_level=3") == "--xla_backend_optimization_level=3"
