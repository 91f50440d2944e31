"""Saving a chapter from JupyterLab changes nothing: every chapter is committed in the exact form jupytext writes.

JupyterLab saves a chapter opened as a notebook through jupytext's contents manager, with the kernelspec of the kernel
that ran it; `tools/normalise_chapters.py` performs that save. A chapter in any other form would be rewritten by the
first autosave and a learner's `git pull` would then conflict.
"""

from __future__ import annotations

import importlib.util
import sys

import pytest

from browser_helpers import ROOT

spec = importlib.util.spec_from_file_location("normalise_chapters", ROOT / "tools" / "normalise_chapters.py")
normalise = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = normalise
spec.loader.exec_module(normalise)

CHAPTERS = normalise.notebooks()


def test_every_numbered_chapter_is_a_notebook() -> None:
    numbered = sorted(p.name for p in (ROOT / "chapters").glob("[0-9][0-9]_*.md"))
    assert numbered and [p.name for p in CHAPTERS if p.name[:2].isdigit()] == numbered


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_saving_the_chapter_changes_no_byte(path) -> None:
    before = path.read_bytes().decode("utf-8")
    after = normalise.saved_by_jupyterlab(path)
    if after != before:
        import difflib

        diff = "".join(list(difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0))[:30])
        pytest.fail(
            f"saving {path.name} in JupyterLab would change it; run `python tools/normalise_chapters.py`:\n{diff}"
        )


def test_the_kernelspec_is_the_one_jupyterlab_writes() -> None:
    """The kernelspec committed must be the installed ipykernel's, or running the chapter would rewrite it."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.display_name == normalise.KERNELSPEC["display_name"]
    assert spec.language == normalise.KERNELSPEC["language"]
