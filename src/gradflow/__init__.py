"""gradflow: the library of the Gradient Flow course. ``import gradflow as gf``.

Pure functions over JAX pytrees with explicit PRNG keys, grouped inside by what they hold and
flat outside (as optax is):

- ``gradflow.models``: the networks (``MLP``, ``ConvNet``, ``RNN``), activations, initializers, batch
  norm, and chapter 2's worked example. Every model has ``init_params(key, scale)``,
  ``apply(params, x, probes) -> (output, hidden)``, ``loss_of(output, y)`` and ``with_scale``.
- ``gradflow.measure``: per-layer measurements through zero probes on the hidden states (the
  backprop signal, second moments, weight gradients), sweeps over seeds and scales, dead and
  saturated units, finite differences.
- ``gradflow.training``: the one training loop ``train(loss, params, optimizer, batches, record=...)``
  over optax, minibatches, clipping helpers, optimizers and schedules by name, descent on a quadratic.
- ``gradflow.views``: figures (``gf.plots``) and explorers (``gf.explorer``).
- ``gradflow.diagnostics``: a gradient-health report for any JAX model; ``gradflow.grading``: the grader.
- ``claims`` (every number the course checks), ``seeds`` (every key), ``data`` (the data sets).

Speed work lives in one private module, ``gradflow._fast``; nothing else depends on it for its results.
"""

from gradflow import claims, data, seeds
from gradflow._fast import stack_params
from gradflow._norm import norm
from gradflow.measure.gradcheck import central_difference, cmp, relative_error
from gradflow.measure.probes import (
    backprop_signal,
    hidden_and_signal,
    layer_stats,
    per_layer,
    second_moments,
    weight_gradient_norms,
    weight_leaves,
    weight_norms,
)
from gradflow.measure.sweeps import critical_scale, log_gain_per_layer, over_seeds
from gradflow.measure.units import dead_fraction, dead_units, negative_fraction, negative_units, saturated_fraction
from gradflow.models import activations, batchnorm, initializers, worked_example
from gradflow.models.conv import ConvNet, as_images, init_convnet
from gradflow.models.mlp import (
    MLP,
    accuracy,
    forward,
    forward_with_state,
    init_mlp,
    init_state,
    loss_and_state,
    loss_fn,
)
from gradflow.models.recurrent import ADDING_BASELINE_MSE, RNN, adding_problem, init_rnn
from gradflow.training.loop import RECORDS, Batches, Step, full_batch, minibatches, train
from gradflow.training.sweep import RateChoice, best_rate, judge_runs, sweep_rates
from gradflow.views import plots
from gradflow.views.widgets import explorer

__version__ = "0.1.0"

__all__ = [
    "ADDING_BASELINE_MSE",
    "MLP",
    "RECORDS",
    "RNN",
    "Batches",
    "ConvNet",
    "RateChoice",
    "Step",
    "accuracy",
    "activations",
    "adding_problem",
    "as_images",
    "backprop_signal",
    "batchnorm",
    "best_rate",
    "central_difference",
    "claims",
    "cmp",
    "critical_scale",
    "data",
    "dead_fraction",
    "dead_units",
    "explorer",
    "forward",
    "forward_with_state",
    "full_batch",
    "hidden_and_signal",
    "init_convnet",
    "init_mlp",
    "init_rnn",
    "init_state",
    "initializers",
    "judge_runs",
    "layer_stats",
    "log_gain_per_layer",
    "loss_and_state",
    "loss_fn",
    "minibatches",
    "negative_fraction",
    "negative_units",
    "norm",
    "over_seeds",
    "per_layer",
    "plots",
    "relative_error",
    "saturated_fraction",
    "second_moments",
    "seeds",
    "stack_params",
    "sweep_rates",
    "train",
    "weight_gradient_norms",
    "weight_leaves",
    "weight_norms",
    "worked_example",
]
