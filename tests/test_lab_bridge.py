"""The glue bridge of `make lab` (tools/gradflow_lab.py), without a browser: every chapter's glue roles survive the
round trip through the `{eval}` form exactly, and `glued("key:fmt")` formats as myst-nb's `{glue:text}` does."""

from __future__ import annotations

import sys

import pytest

from browser_helpers import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import gradflow_lab

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_glue_role_round_trips(path) -> None:
    text = path.read_text(encoding="utf-8")
    shown = gradflow_lab.glue_to_eval(text)
    assert "{glue" not in shown, "a glue role the bridge does not translate"
    assert shown.count("{eval}`glued(") == text.count("{glue:text}`")
    assert gradflow_lab.eval_to_glue(shown) == text


@pytest.mark.parametrize(
    ("plain", "fmt"), [("0.000438568123", ".9f"), ("0.25", ".0%"), ("1234.5", ".3g"), ("3.0", ".1e"), ("12", "d")]
)
def test_glued_formats_like_myst_nb(plain: str, fmt: str) -> None:
    from myst_nb.core.variables import format_plain_text

    assert gradflow_lab.format_plain_text(plain, fmt) == format_plain_text(plain, fmt)


def test_the_kernel_side_records_glue_displays() -> None:
    glued = gradflow_lab.Glued()
    msg = {
        "msg_type": "display_data",
        "content": {
            "data": {"application/papermill.record/text/plain": "0.125"},
            "metadata": {"scrapbook": {"name": "ch2-x", "mime_prefix": "application/papermill.record/"}},
        },
    }
    assert glued.record(msg) is msg, "the hook must pass every message on"
    assert glued.record({"msg_type": "stream", "content": {"text": "hi"}})["content"]["text"] == "hi"
    assert repr(glued("ch2-x:.1%")) == "12.5%", "jupyterlab-myst shows the repr: no quotes"
    assert "run the cells above" in glued("ch2-y:.2f")


def test_saving_drops_the_evaluated_results() -> None:
    notebook = {
        "cells": [
            {
                "cell_type": "markdown",
                "source": 'a {eval}`glued("ch2-x:.1f")` b',
                "metadata": {"user_expressions": [{"expression": 'glued("ch2-x:.1f")'}]},
            },
            {"cell_type": "code", "source": '{eval}`glued("k")`', "metadata": {}},
        ]
    }
    gradflow_lab._cells_to_glue(notebook)
    assert notebook["cells"][0] == {"cell_type": "markdown", "source": "a {glue:text}`ch2-x:.1f` b", "metadata": {}}
    assert notebook["cells"][1]["source"] == '{eval}`glued("k")`', "code cells are never touched"
