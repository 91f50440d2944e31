"""Imported once by the grader's fork server, so each submission's process starts warm.

Only imports: nothing here may start JAX's backend (threads do not survive ``fork``).
"""

import IPython.core.interactiveshell  # noqa: F401
import ipywidgets  # noqa: F401
import jax
import jax.numpy  # noqa: F401
import matplotlib  # noqa: F401
import numpy  # noqa: F401
import optax  # noqa: F401

import gradflow.data
import gradflow.descent
import gradflow.gradients
import gradflow.networks
import gradflow.smallnet
import gradflow.widgets  # noqa: F401
from gradflow.grading import checks  # noqa: F401
