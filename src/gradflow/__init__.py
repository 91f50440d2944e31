"""gradflow: the library of the Gradient Flow course.

Pure functions over JAX pytrees with explicit PRNG keys. Modules:

- ``activations``: activation functions and their closed-form derivatives
- ``initializers``: weight initializers by name (on ``jax.nn.initializers``)
- ``networks``: the MLP builder (``MLP`` spec, ``init_mlp``, ``forward``, ``loss_fn``)
- ``gradients``: backprop signal dL/dh_l and weight gradients dL/dW_l per layer
- ``training``: a jitted optax training loop recording per-layer norms
- ``data``: the bundled digits data set and synthetic sets
- ``smallnet``: the two-input network of the backprop chapter, by hand
- ``descent``: gradient descent on a quadratic
- ``gradcheck``: finite differences and ``cmp``
- ``plots``, ``widgets``: figures and explorers
- ``parallel``: independent computations in threads (XLA compiles them at once)
- ``claims``: every number the course checks (``glue`` refuses a value its claim rejects)
- ``seeds``: every key and generator of the course (``GRADFLOW_SEED_SET`` draws another set)
"""

__version__ = "0.1.0"
