"""The book build stops on a number its claim rejects and on a figure that did not render.

A tiny book of two pages (one per guard), built once with the course's own extension and execution
settings, shows the guards end to end; the docutils-level checks are tested directly as well.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from docutils import nodes

ROOT = Path(__file__).resolve().parent.parent
HEADER = "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\nkernelspec:\n"
HEADER += "  display_name: Python 3\n  language: python\n  name: python3\n---\n\n"


def extension():
    spec = importlib.util.spec_from_file_location("gradflow_book", ROOT / "_ext" / "gradflow_book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(tmp_path: Path, pages: dict[str, str]) -> subprocess.CompletedProcess:
    """Build a book whose configuration is the course's (execution, extension), with ``pages`` (name: MyST text)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "force"
    config["sphinx"]["local_extensions"] = {"gradflow_book": str(ROOT / "_ext")}
    config.pop("bibtex_bibfiles", None)
    config["sphinx"]["extra_extensions"] = []
    config["sphinx"]["config"].pop("bibtex_reference_style", None)
    config["exclude_patterns"] = ["_build"]
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config))
    toc = "".join(f"  - file: {name}\n" for name in pages)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n" + toc)
    (tmp_path / "index.md").write_text("# Guards\n")
    for name, page in pages.items():
        (tmp_path / f"{name}.md").write_text(HEADER + textwrap.dedent(page))
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(tmp_path), "-W", "-n", "--keep-going"]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=300)


GLUE_NAN = """
        # Page
        ```{code-cell} ipython3
        from gradflow import claims
        claims.glue("ch1-deep-sigmoid-final-loss", float("nan"))
        ```
        The loss stays at {glue:text}`ch1-deep-sigmoid-final-loss:.2f`.
        """

FIGURE_REPR = """
        # Page
        ```{code-cell} ipython3
        from matplotlib.figure import Figure  # no pyplot: nothing registers a PNG formatter for Figure
        fig = Figure()
        fig.subplots().plot([1, 2])
        fig
        ```

        ```{code-cell} ipython3
        ---
        mystnb:
          figure:
            caption: A figure whose cell shows no picture.
            name: fig-empty
        ---
        print("no picture here")
        ```

        ```{code-cell} ipython3
        import matplotlib.pyplot as plt
        plt.figure()
        plt.plot([1, 2]);
        ```
        """


@pytest.fixture(scope="module")
def guarded(tmp_path_factory) -> tuple[int, str]:
    """(exit status, output) of one build of both pages: each guard's problem is reported (``--keep-going``)."""
    proc = build(tmp_path_factory.mktemp("guards"), {"glue_nan": GLUE_NAN, "figure_repr": FIGURE_REPR})
    return proc.returncode, proc.stdout + proc.stderr


def test_a_glued_value_its_claim_rejects_stops_the_build(guarded):
    status, out = guarded
    assert status != 0, out[-3000:]
    assert "ClaimFailed" in out and "ch1-deep-sigmoid-final-loss" in out and "not a finite number" in out
    assert "glue_nan" in out, out[-3000:]


def test_a_figure_shown_as_its_repr_stops_the_build(guarded):
    status, out = guarded
    assert status != 0, out[-3000:]
    assert out.count("bare repr '<Figure size") == 1, out[-3000:]  # the pyplot figure is an image, not a problem
    assert "figure 'fig-empty' has no image" in out, out[-3000:]


def literal(text: str, classes: list[str]) -> nodes.literal_block:
    return nodes.literal_block(text, text, classes=classes)


@pytest.mark.parametrize(
    "text",
    [
        "<Figure size 864x576 with 8 Axes>",
        "<matplotlib.legend.Legend at 0x7f00>",
        "<Axes: xlabel='step'>",
        "<gradflow.diagnostics.report.Report object at 0x7f3a>",
    ],
)
def test_bare_reprs_are_problems(text):
    doc = nodes.container()
    doc += literal(text, ["output", "text_plain"])
    assert extension().output_problems(doc) == [f"a cell output is the bare repr {text!r} instead of its rendering"]


def bundle(*outputs: tuple[str, nodes.Node]) -> nodes.container:
    """How myst-nb keeps an output with several mime types until the writer picks one."""
    out = nodes.container(nb_element="mime_bundle")
    for mime, node in outputs:
        part = nodes.container(mime_type=mime)
        part += node
        out += part
    return out


def test_a_repr_beside_its_picture_is_fine_and_alone_is_not():
    text = "<Figure size 640x480 with 1 Axes>"
    doc = nodes.container()
    doc += bundle(("image/png", nodes.image(uri="x.png")), ("text/plain", literal(text, ["output", "text_plain"])))
    assert extension().output_problems(doc) == []
    doc += bundle(("text/plain", literal(text, ["output", "text_plain"])))
    assert extension().output_problems(doc) == [f"a cell output is the bare repr {text!r} instead of its rendering"]


def test_printed_text_numbers_and_rendered_figures_are_fine():
    doc = nodes.container()
    doc += literal("<Figure size 640x480 with 1 Axes>", ["output", "stream"])  # printed on purpose
    doc += literal("2.302", ["output", "text_plain"])
    meta = {"mystnb": {"figure": {"name": "fig-ok", "caption": "c"}}}
    cell = nodes.container(nb_element="cell_code", cell_metadata=meta)
    figure = nodes.figure(ids=["fig-ok"])
    figure += nodes.image(uri="x.png")
    cell += figure
    doc += cell
    doc += nodes.container(nb_element="cell_code", cell_metadata={})  # no figure asked for
    assert extension().output_problems(doc) == []
    empty = nodes.container(nb_element="cell_code", cell_metadata={"mystnb": {"figure": {"name": "fig-bad"}}})
    empty += literal("no picture here", ["output", "stream"])
    doc += empty
    assert extension().output_problems(doc) == ["figure 'fig-bad' has no image: its cell displayed no picture"]
