"""The networks of the course, as plain parameter pytrees and frozen (hashable) specs.

- ``mlp``: the multilayer perceptron ``MLP`` with its batch-norm and residual options;
- ``conv``: a small convolutional net ``ConvNet`` (chapter 5's fan-in for kernels);
- ``recurrent``: RNN, LSTM and GRU cells, the ``RNN`` model and the adding problem;
- ``activations``, ``initializers`` (by name on ``jax.nn``, and written out by hand), ``batchnorm``;
- ``worked_example``: chapter 2's two-input network with Mazur's numbers, backpropagated by hand.

The model interface (what ``gradflow.measure`` and ``gradflow.training`` rely on): a spec ``model`` has
``model.init_params(key, scale=1.0)``, ``model.apply(params, x, probes=None) -> (output, hidden)``,
``model.loss_of(output, y)`` and ``model.with_scale(params, scale)``. ``hidden`` holds one array per layer
(a list h_0..h_L, or an array with the time step first for an RNN); ``probes`` of the same structure are added to
it, so the gradient with respect to zero probes is the backprop signal dL/dh_l.
"""
