"""gradflow.measure.probes: hidden states, backprop signals and weight gradients against independent references.

Each reference is written here without the probes: a hand-written backward recursion for a tanh MLP,
``jax.grad`` of the loss as a function of one hidden state for an RNN and a ConvNet, float64 NumPy norms.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradflow as gf

KEY = jax.random.key(0)


def _with_biases(params, seed):
    """Nonzero biases, so a test also sees them (init_params draws zeros); drawn in NumPy (nothing to compile)."""
    rng = np.random.default_rng(seed)
    shift = lambda a: a + np.float32(0.1) * rng.standard_normal(a.shape, np.float32) if a.ndim == 1 else a
    return jax.tree.map(shift, params)


def _normal(seed, shape):
    return jnp.asarray(np.random.default_rng(seed).standard_normal(shape, np.float32))


@pytest.fixture(scope="module")
def tanh_mlp():
    model = gf.MLP(3, 4, 3, 2, "tanh", "xavier")
    params = _with_biases(model.init_params(KEY), 1)
    x = _normal(2, (5, 3))
    y = jnp.array([0, 1, 1, 0, 1])
    return model, params, x, y


@partial(jax.jit, static_argnums=0)
def _by_hand(model, params, x, y):
    """Forward and backward of a plain tanh MLP written out: h_l = tanh(h_{l-1} W_l + b_l), mean cross-entropy.

    Backward: delta_z = delta_h * tanh'(z), delta_{l-1} = delta_z W_l^T, starting from
    dL/dlogits = (softmax - one_hot) / batch.
    """
    hs, zs = [x], []
    for name in model.layer_names[:-1]:
        zs.append(hs[-1] @ params[name]["W"] + params[name]["b"])
        hs.append(jnp.tanh(zs[-1]))
    logits = hs[-1] @ params["output"]["W"] + params["output"]["b"]
    delta = (jax.nn.softmax(logits) - jax.nn.one_hot(y, logits.shape[1])) / x.shape[0]
    deltas = [delta @ params["output"]["W"].T]
    for name, z in zip(reversed(model.layer_names[:-1]), reversed(zs), strict=True):
        delta_z = deltas[0] * (1 - jnp.tanh(z) ** 2)
        deltas.insert(0, delta_z @ params[name]["W"].T)
    return hs, deltas


def test_hidden_and_signal_match_a_hand_written_backward_recursion(tanh_mlp):
    model, params, x, y = tanh_mlp
    hs, deltas = _by_hand(model, params, x, y)
    hidden, signal = gf.hidden_and_signal(model, params, x, y)
    assert len(hidden) == len(signal) == model.depth + 1
    for layer, (h, d, want_h, want_d) in enumerate(zip(hidden, signal, hs, deltas, strict=True)):
        np.testing.assert_allclose(h, want_h, rtol=1e-5, atol=1e-7, err_msg=f"h_{layer}")
        np.testing.assert_allclose(d, want_d, rtol=1e-4, atol=1e-8, err_msg=f"dL/dh_{layer}")


def test_layer_stats_are_second_moments_and_float64_norms(tanh_mlp):
    model, params, x, y = tanh_mlp
    hs, deltas = _by_hand(model, params, x, y)
    moments, signal = gf.layer_stats(model, params, x, y)
    want_moments = [np.mean(np.asarray(h, np.float64) ** 2) for h in hs]
    want_signal = [np.linalg.norm(np.asarray(d, np.float64)) for d in deltas]
    np.testing.assert_allclose(moments, want_moments, rtol=1e-5)
    np.testing.assert_allclose(signal, want_signal, rtol=1e-4)
    np.testing.assert_array_equal(gf.backprop_signal(model, params, x, y), signal)
    np.testing.assert_allclose(gf.second_moments(model, params, x), want_moments, rtol=1e-5)


def test_rnn_signal_is_the_gradient_with_respect_to_each_hidden_state():
    """dL/dh_t: jax.grad of the loss written as a function of h_t (the rest of the sequence run from it)."""
    model = gf.RNN("rnn", 2, 3, 1, recurrent_scale=1.2)
    params = _with_biases(model.init_params(KEY), 3)
    xs, y = _normal(4, (4, 2, 2)), _normal(5, (2, 1))  # xs: (T, batch, in_dim)

    @jax.jit
    def reference(params, xs, y):
        cell, out = params["cell"], params["out"]
        step = lambda h, x: jnp.tanh(x @ cell["W_x"] + h @ cell["W_h"] + cell["b"])
        hs = [jnp.zeros((2, 3))]
        for x in xs:
            hs.append(step(hs[-1], x))

        def loss_from(t, h):  # h = h_t (t = 1..T): run steps t+1..T, read out, mean squared error
            for x in xs[t:]:
                h = step(h, x)
            return jnp.mean((h @ out["W"] + out["b"] - y) ** 2)

        return hs, [jax.grad(loss_from, argnums=1)(t, hs[t]) for t in range(1, len(xs) + 1)]

    hs, want = reference(params, xs, y)
    hidden, signal = gf.hidden_and_signal(model, params, xs, y)
    assert hidden.shape == signal.shape == (4, 2, 3)
    np.testing.assert_allclose(hidden, jnp.stack(hs[1:]), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(signal, jnp.stack(want), rtol=1e-4, atol=1e-8)
    want_norms = [np.linalg.norm(np.asarray(g, np.float64)) for g in want]
    np.testing.assert_allclose(gf.backprop_signal(model, params, xs, y), want_norms, rtol=1e-4)


def test_convnet_signal_is_the_gradient_with_respect_to_each_feature_map():
    model = gf.ConvNet(channels=2, depth=2, activation="tanh", init="lecun", size=4, out_dim=3)
    params = _with_biases(model.init_params(KEY), 6)
    x, y = _normal(7, (3, 1, 4, 4)), jnp.array([0, 2, 1])
    names = model.layer_names[:-1]

    @jax.jit
    def reference(params, x, y):
        dims = ("NCHW", "OIHW", "NCHW")
        conv = lambda h, layer: jnp.tanh(
            jax.lax.conv_general_dilated(h, layer["W"], (1, 1), "SAME", dimension_numbers=dims)
            + layer["b"][None, :, None, None]
        )

        def loss_from(layer, h):  # h = h_l: the layers after l, mean pooling, dense readout, cross-entropy
            for name in names[layer:]:
                h = conv(h, params[name])
            logits = h.mean(axis=(2, 3)) @ params["output"]["W"] + params["output"]["b"]
            return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(3), y])

        hs = [x]
        for name in names:
            hs.append(conv(hs[-1], params[name]))
        return hs, [jax.grad(loss_from, argnums=1)(layer, h) for layer, h in enumerate(hs)]

    hs, want = reference(params, x, y)
    hidden, signal = gf.hidden_and_signal(model, params, x, y)
    for layer in range(model.depth + 1):
        np.testing.assert_allclose(hidden[layer], hs[layer], rtol=1e-5, atol=1e-6, err_msg=f"h_{layer}")
        np.testing.assert_allclose(signal[layer], want[layer], rtol=1e-4, atol=1e-8, err_msg=f"dL/dh_{layer}")


def test_batch_norm_and_residual_signals_are_jax_grad_of_the_probes():
    """Any MLP option: the signal equals jax.grad of model.loss_of(model.apply(params, x, probes)) at zero probes."""
    x, y = _normal(8, (6, 3)), jnp.array([0, 1, 0, 1, 1, 0])
    for model in (gf.MLP(3, 4, 3, 2, "relu", batch_norm=True), gf.MLP(3, 4, 3, 2, "tanh", residual=True)):
        params = _with_biases(model.init_params(KEY), 9)
        zeros = [jnp.zeros((6, n)) for n in model.sizes[:-1]]
        want = jax.jit(jax.grad(lambda p, params, m=model: m.loss_of(m.apply(params, x, p)[0], y)))(zeros, params)
        _, signal = gf.hidden_and_signal(model, params, x, y)
        for layer, (got, ref) in enumerate(zip(signal, want, strict=True)):
            np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-9, err_msg=f"{model}: dL/dh_{layer}")
        assert float(np.abs(want[0]).max()) > 0, "the reference signal is zero: the test could not fail"


def test_deep_sigmoid_signal_has_no_zero_norm_where_the_naive_norm_underflows():
    """The old bug: a 50-layer sigmoid net read ||dL/dh_l|| = 0 for 23 of 51 layers (float32 squares underflow)."""
    model = gf.MLP(8, 8, 50, 8, "sigmoid", "xavier")  # one weight shape: one compiled draw
    params = model.init_params(KEY)
    x, y = _normal(10, (2, 8)), jnp.array([0, 1])
    _, signal = gf.hidden_and_signal(model, params, x, y)
    naive = np.array([float(jnp.linalg.norm(d)) for d in signal])
    assert np.sum(naive == 0) >= 5, f"the naive norm no longer underflows here ({naive[:5]}): the test cannot fail"
    _, norms = gf.layer_stats(model, params, x, y)
    norms = np.asarray(norms)
    assert np.all(norms > 0), f"zero signal norms at layers {np.nonzero(norms == 0)[0].tolist()}"
    want = [np.linalg.norm(np.asarray(d, np.float64)) for d in signal]
    np.testing.assert_allclose(norms, want, rtol=1e-5, atol=0)


def test_weight_gradient_norms_and_weight_norms_follow_weight_leaves():
    model = gf.MLP(3, 4, 2, 2, "tanh", batch_norm=True)
    params = model.init_params(KEY)
    x, y = _normal(11, (5, 3)), jnp.array([0, 1, 1, 0, 1])
    leaves = gf.weight_leaves(params)
    assert list(leaves) == ["dense_01/W", "dense_02/W", "output/W"], "batch-norm gamma/beta and biases are not weights"
    grads = jax.jit(jax.grad(lambda p: model.loss_of(model.apply(p, x)[0], y)))(params)
    want = [np.linalg.norm(np.asarray(grads[name.split("/")[0]]["W"], np.float64)) for name in leaves]
    np.testing.assert_allclose(gf.weight_gradient_norms(model, params, x, y), want, rtol=1e-5)
    want = [np.linalg.norm(np.asarray(w, np.float64)) for w in leaves.values()]
    np.testing.assert_allclose(jax.jit(gf.weight_norms)(params), want, rtol=1e-6)
    conv_leaves = gf.weight_leaves(gf.ConvNet(channels=2, depth=1, size=4).init_params(KEY))
    assert [w.ndim for w in conv_leaves.values()] == [4, 2], "conv kernels (4 axes) and the dense readout"


def test_per_layer_takes_a_list_or_a_layer_axis():
    hs = [jnp.ones((2, 3)), 2 * jnp.ones((2, 5))]
    np.testing.assert_array_equal(gf.per_layer(jnp.mean, hs), [1.0, 2.0])
    np.testing.assert_array_equal(gf.per_layer(jnp.sum, jnp.arange(6.0).reshape(3, 2)), [1.0, 5.0, 9.0])


@pytest.mark.parametrize(
    "measure",
    [gf.hidden_and_signal, gf.layer_stats, gf.backprop_signal, gf.weight_gradient_norms],
    ids=lambda f: f.__name__,
)
def test_a_non_model_is_a_type_error(measure, tanh_mlp):
    model, params, x, y = tanh_mlp
    with pytest.raises(TypeError, match="model must be a gradflow model"):
        measure("mlp", params, x, y)
    with pytest.raises(TypeError, match="model must be a gradflow model"):
        measure(params, model, x, y)  # the parameters in the model's place: a dict, which jit cannot hash
    with pytest.raises(TypeError, match="model must be a gradflow model"):
        gf.second_moments(gf.MLP.__name__, params, x)


def test_wrong_shapes_are_value_errors(tanh_mlp):
    model, params, x, y = tanh_mlp
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 3\)"):
        gf.layer_stats(model, params, x[:, :2], y)
    with pytest.raises(ValueError, match="labels y must have shape"):
        gf.backprop_signal(model, params, x, y[:3])
    with pytest.raises(ValueError, match="xs must have shape"):
        gf.backprop_signal(gf.RNN("rnn", 2, 3), gf.RNN("rnn", 2, 3).init_params(KEY), x, y)


def test_norm_does_not_underflow_in_float32():
    tiny = jnp.full((4, 4), 1e-25, jnp.float32)
    assert float(jnp.linalg.norm(tiny)) == 0.0  # the naive norm underflows
    assert float(gf.norm(tiny)) == pytest.approx(4e-25, rel=1e-5, abs=0)
    assert float(gf.norm(jnp.zeros(3))) == 0.0


def test_norm_over_an_axis_and_non_finite_entries():
    x = jnp.array([[3e-25, 4e-25], [0.0, 0.0], [3.0, 4.0]], jnp.float32)
    np.testing.assert_allclose(np.asarray(gf.norm(x, axis=1)), [5e-25, 0.0, 5.0], rtol=1e-6, atol=0)
    np.testing.assert_allclose(float(gf.norm(x)), 5.0, rtol=1e-6)
    assert gf.norm(x, axis=0).shape == (2,)
    assert float(gf.norm(jnp.array([1.0, jnp.inf]))) == np.inf
    assert np.isnan(float(gf.norm(jnp.array([1.0, jnp.nan]))))


def test_leaf_names_are_pytree_paths():
    from gradflow.measure.probes import named_leaves

    tree = {"a": {"W": jnp.ones((2, 2))}, "b": [jnp.zeros(1), jnp.zeros((3, 1))]}
    assert list(named_leaves(tree)) == ["a/W", "b/0", "b/1"]
    assert list(gf.weight_leaves(tree)) == ["a/W", "b/1"]


def test_sigmoid_signal_shrinks_towards_the_input_and_relu_he_keeps_it():
    x, y = _normal(12, (16, 32)), jnp.arange(16) % 3  # square layers: one weight shape, one compiled draw
    sigmoid = gf.MLP(32, 32, 8, 32, "sigmoid", "xavier")
    s = np.asarray(gf.backprop_signal(sigmoid, sigmoid.init_params(KEY), x, y))
    assert s[0] < 1e-3 * s[-1], f"sigmoid: input/output signal {s[0] / s[-1]:.2g}, expected below 1e-3"
    relu = gf.MLP(32, 32, 8, 32, "relu", "he")
    s = np.asarray(gf.backprop_signal(relu, relu.init_params(KEY), x, y))
    assert 0.1 < s[0] / s[-1] < 10, f"relu + He: input/output signal {s[0] / s[-1]:.2g}, expected about 1"
