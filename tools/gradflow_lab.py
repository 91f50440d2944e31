"""JupyterLab that reads like the website (`make lab`, `tools/lab.py`): the numbers in the prose render in a kernel.

The chapters state their numbers with myst-nb's glue (``{glue:text}`ch2-key:.3f` ``): on the website the build
inserts the value the chapter computed and checked (`gradflow.claims.glue`). JupyterLab renders Markdown with
jupyterlab-myst, which knows no glue but evaluates ``{eval}`expression` `` in the kernel when a Markdown cell runs.
Two small pieces bridge them, and the chapter files never change:

- `ContentsManager` (the server's, jupytext's with two steps added): a chapter opened as a notebook shows each
  ``{glue:text}`key:fmt` `` as ``{eval}`glued("key:fmt")` ``, and saving turns them back (and drops the evaluated
  results jupyterlab-myst keeps in the cell's metadata), so the saved file is byte for byte the chapter.
- `load_ipython_extension` (the kernel's, loaded by the project's kernelspec): records every value a cell glues
  (the display myst-nb reads) and defines `glued("key:fmt")`, which formats it exactly as myst-nb's `{glue:text}`.
"""

from __future__ import annotations

import re
from ast import literal_eval
from typing import Any

GLUE = re.compile(r"\{glue:text\}`([^`]+)`")
EVAL = re.compile(r"""\{eval\}`glued\("([^"`]+)"\)`""")
FUNCTION = "glued"


def glue_to_eval(text: str) -> str:
    """Markdown with every ``{glue:text}`key:fmt` `` written as ``{eval}`glued("key:fmt")` ``."""
    return GLUE.sub(lambda m: f'{{eval}}`{FUNCTION}("{m.group(1)}")`', text)


def eval_to_glue(text: str) -> str:
    """The inverse of `glue_to_eval`."""
    return EVAL.sub(lambda m: f"{{glue:text}}`{m.group(1)}`", text)


def format_plain_text(text: str, fmt_spec: str) -> str:
    """Format a glued text/plain value as myst-nb's ``{glue:text}`` does (myst_nb.core.variables)."""
    try:
        value = literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if fmt_spec == "":
        return str(value)
    type_char = fmt_spec[-1]
    if type_char == "s":
        value = str(value)
    elif type_char in ("b", "c", "d", "o", "x", "X"):
        value = int(value)
    elif type_char in ("e", "E", "f", "F", "g", "G", "n", "%"):
        value = float(value)
    return format(value, fmt_spec)


# --- The kernel -----------------------------------------------------------------------------------------------------


class Shown(str):
    """A number as the prose shows it: its repr is the text itself (jupyterlab-myst renders an expression's repr)."""

    def __repr__(self) -> str:
        return str(self)


class Glued:
    """The values the cells glued so far (by glue key), and the `glued("key:fmt")` function the prose calls."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def record(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Display-publisher hook: keep the text/plain of a glue display (myst-nb's scrapbook metadata)."""
        content = msg.get("content") or {}
        book = (content.get("metadata") or {}).get("scrapbook")
        if isinstance(book, dict) and "name" in book:
            text = (content.get("data") or {}).get(book.get("mime_prefix", "") + "text/plain")
            if text is not None:
                self.values[book["name"]] = text
        return msg

    def __call__(self, key_format: str) -> str:
        key, _, fmt = key_format.partition(":") if ":" in key_format else (key_format, "", "s")
        if key not in self.values:
            return Shown(f"[{key}: run the cells above]")
        return Shown(format_plain_text(self.values[key], fmt))


def load_ipython_extension(ip) -> None:
    glued = Glued()
    ip.display_pub.register_hook(glued.record)
    ip.user_ns[FUNCTION] = glued
    ip.user_ns_hidden[FUNCTION] = glued  # not listed by %who and the variable inspector


# --- The server -----------------------------------------------------------------------------------------------------


def _chapter(path: str, model: dict[str, Any]) -> bool:
    return path.endswith(".md") and model.get("type") == "notebook"


def _cells_to_eval(notebook) -> None:
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = glue_to_eval(cell["source"])


def _cells_to_glue(notebook) -> None:
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if EVAL.search(source):
                cell["source"] = eval_to_glue(source)
                cell.get("metadata", {}).pop("user_expressions", None)


def _contents_manager_class():
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
    from jupytext.async_contentsmanager import build_async_jupytext_contents_manager_class

    base = build_async_jupytext_contents_manager_class(AsyncLargeFileManager)

    class GluedContentsManager(base):
        """jupytext's contents manager; chapters show their glued numbers through jupyterlab-myst's `{eval}`."""

        async def get(self, path, content=True, type=None, format=None, **kwargs):
            model = await super().get(path, content=content, type=type, format=format, **kwargs)
            if content and _chapter(path, model) and model.get("content"):
                _cells_to_eval(model["content"])
            return model

        async def save(self, model, path=""):
            if _chapter(path, model) and model.get("content"):
                _cells_to_glue(model["content"])
            return await super().save(model, path)

    return GluedContentsManager


def __getattr__(name: str):
    if name == "ContentsManager":  # built on first use: the kernel never imports jupyter_server
        return _contents_manager_class()
    raise AttributeError(name)
