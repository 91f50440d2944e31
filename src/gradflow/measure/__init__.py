"""Measurements of networks: what the course's figures and claims are made of.

- ``probes``: per-layer quantities from one forward and backward pass with zero probes on the hidden states
  (backprop signal, second moments, weight-gradient norms), for any model of ``gradflow.models``;
- ``sweeps``: the same over seeds and weight scales (seeds first), log gain per layer, critical scale;
- ``units``: dead and saturated units; ``gradcheck``: finite differences and comparisons.
"""
