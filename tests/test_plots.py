"""The plotting helpers label what they draw and reject mismatched shapes."""

from __future__ import annotations

import numpy as np
import pytest

from gradflow.views import plots


def test_layer_norms_use_a_log_axis_and_label_it():
    fig, axes = plots.new_figure()
    lines = plots.layer_norms(axes[0, 0], {"a": [1, 1e-3, 1e-6], "b": [1, 1, 1]}, ylabel="norm")
    assert axes[0, 0].get_yscale() == "log" and axes[0, 0].get_ylabel() == "norm" and len(lines) == 2
    assert lines[0].get_color().lower() == plots.PALETTE[0].lower()


def test_histograms_print_each_layers_variance():
    fig, axes = plots.new_figure(1, 2)
    rng = np.random.default_rng(0)
    plots.layer_histograms(axes[0], {"layer 1": rng.normal(0, 1, 5000), "layer 2": rng.normal(0, 0.1, 5000)}, "h")
    printed = [float(ax.get_title().split("var = ")[1]) for ax in axes[0]]
    assert printed == pytest.approx([1.0, 0.01], rel=0.05), f"titles should print each layer's variance; got {printed}"


def test_per_layer_over_steps_checks_its_shape_and_draws_the_reference():
    fig, axes = plots.new_figure()
    with pytest.raises(ValueError, match=r"values must have shape \(steps, 2\)"):
        plots.per_layer_over_steps(axes[0, 0], np.ones((5, 3)), "r", ["a", "b"])
    plots.per_layer_over_steps(axes[0, 0], -3 + np.zeros((5, 2)), "log10 ratio", ["a", "b"], log=False, reference=-3)
    assert any(np.allclose(line.get_ydata(), -3) and line.get_linestyle() == "--" for line in axes[0, 0].lines)


def test_a_returned_figure_is_a_picture_in_a_notebook_even_before_any_pyplot_figure():
    """Without shown_in_notebooks the first pyplot-free Figure a cell returns is the text <Figure size ...>."""
    import nbformat
    from nbclient import NotebookClient

    make = "import matplotlib.pyplot as plt\nfrom matplotlib.figure import Figure\nfig = Figure()\nfig.subplots()\n"
    cells = [make + "fig", make + "from gradflow import plots\nplots.shown_in_notebooks(fig)"]
    kinds = []
    for source in cells:  # each in a fresh kernel: the first figure of the session is the case that fails
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        NotebookClient(nb, kernel_name="python3", timeout=120).execute()
        kinds.append([sorted(out.get("data", {})) for out in nb.cells[0].outputs])
    # kinds[0] is [["text/plain"]] with matplotlib 3.10 (the bug this guards against); a later matplotlib may fix it
    assert kinds[1] == [["image/png", "text/plain"]], kinds[1]
