"""Fixed PRNG keys make every build identical: a second fresh execution gives the same outputs."""

from __future__ import annotations

import os
from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

from gradflow._fast import build_xla_flags

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = "chapters/02_backpropagation"
WIDGET = "application/vnd.jupyter.widget-view+json"


def _join(value):
    return "".join(value) if isinstance(value, list) else value


def comparable(nb) -> list[tuple]:
    """Per code-cell output: type, stream text, text/plain and PNG. Glued values (myst-nb moves them out of the
    built notebook; the claims test checks them) and widget views (random model ids) are left out, and
    consecutive prints to one stream count as one output (the build merges them)."""
    found = []
    for cell in nb["cells"]:
        previous = None
        for out in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            data = out.get("data", {})
            if "scrapbook" in out.get("metadata", {}) or WIDGET in data:
                continue
            if out["output_type"] == "stream" and previous == out.get("name"):
                kind, text, plain, png = found.pop()
                found.append((kind, text + _join(out["text"]), plain, png))
                continue
            previous = out.get("name")
            found.append(
                (
                    out["output_type"],
                    _join(out.get("text")),
                    _join(data.get("text/plain")),
                    _join(data.get("image/png")),
                )
            )
    return found


@pytest.mark.book
def test_a_second_execution_reproduces_the_build(executed, monkeypatch):
    monkeypatch.setenv("GRADFLOW_STATIC_EXPLORERS", "1")
    # the build's settings: its XLA flags change the compiled code, so the last bits of a result
    monkeypatch.setenv("XLA_FLAGS", build_xla_flags(os.environ.get("XLA_FLAGS", "")))
    nb = jupytext.read(ROOT / f"{CHAPTER}.md")
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "chapters")}}
    )
    client.execute()
    built, again = comparable(executed[CHAPTER]), comparable(nb)
    assert any(o[3] for o in built), "expected a figure in the built chapter"
    assert len(built) == len(again), f"{len(built)} outputs in the build, {len(again)} in the second execution"
    for i, (a, b) in enumerate(zip(built, again, strict=True)):
        assert a == b, f"output {i} of {CHAPTER} differs between two executions:\n{str(a)[:300]}\nvs\n{str(b)[:300]}"
