"""Reading notebooks: the code cells of a submitted .ipynb, or of a MyST Markdown master."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class NotANotebook(ValueError):
    """The file is not a Jupyter notebook we can read; the message says why, for the feedback."""


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    if isinstance(src, list):
        src = "".join(str(s) for s in src)
    if not isinstance(src, str):
        raise NotANotebook("a cell's source is neither text nor a list of lines")
    return src


def cells_of(data: bytes) -> list[dict[str, Any]]:
    """The cells of a notebook given as .ipynb bytes (nbformat 4)."""
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotANotebook(f"the file is not a notebook: it is not valid JSON ({exc}).") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotANotebook("the file is JSON but not a Jupyter notebook (nbformat 4): it has no list of cells.")
    if not all(isinstance(c, dict) for c in nb["cells"]):
        raise NotANotebook("the notebook's cells are not all JSON objects.")
    return nb["cells"]


def code_sources(data: bytes) -> list[str]:
    """The source of every code cell of an .ipynb, in order."""
    return [_source(c) for c in cells_of(data) if c.get("cell_type") == "code"]


def read_master(path: Path) -> list[dict[str, Any]]:
    """The cells of a MyST Markdown master (read with jupytext), as nbformat dicts."""
    import jupytext

    nb = jupytext.read(path, fmt="md:myst")
    return [{"cell_type": c.cell_type, "source": c.source, "metadata": dict(c.metadata)} for c in nb.cells]


def code_sources_of_file(path: Path) -> list[str]:
    """Code cells of a submission or master file (.ipynb or MyST .md)."""
    if path.suffix == ".md":
        return [_source(c) for c in read_master(path) if c["cell_type"] == "code"]
    return code_sources(path.read_bytes())
