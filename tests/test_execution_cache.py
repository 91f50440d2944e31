"""The book's execution cache is keyed on the library code chapters execute, and on nothing else."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _book_extension():
    spec = importlib.util.spec_from_file_location("gradflow_book_ext", ROOT / "_ext" / "gradflow_book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cache_key_follows_the_executed_library_only(tmp_path: Path) -> None:
    ext = _book_extension()
    src = tmp_path / "gradflow"
    shutil.copytree(ROOT / "src" / "gradflow", src, ignore=shutil.ignore_patterns("__pycache__"))
    before = ext.source_hash(src)
    # the grader: no chapter executes it
    (src / "grading" / "limits.py").write_text((src / "grading" / "limits.py").read_text() + "\n# edited\n")
    assert ext.source_hash(src) == before
    # a model every chapter uses: every chapter must run again
    (src / "models" / "mlp.py").write_text((src / "models" / "mlp.py").read_text() + "\n# edited\n")
    assert ext.source_hash(src) != before


def test_claim_files_live_beside_the_chapters_not_in_the_library() -> None:
    assert not list((ROOT / "src").rglob("*.claims.toml"))
    chapters = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))
    assert chapters and all(c.with_suffix(".claims.toml").is_file() for c in chapters)


@pytest.mark.book
def test_the_cold_build_executes_every_chapter_ahead_and_myst_nb_reuses_it(book: Path, executed: dict) -> None:
    """`_ext/parallel_execution.py` fills the cache with exactly the notebooks myst-nb then looks up.

    myst-nb writes a cached chapter's `jupyter_execute` notebook without outputs; the extension writes them.
    """
    assert executed, "the build wrote no executed notebooks"
    empty = [doc for doc, nb in executed.items() if not any(c.get("outputs") for c in nb["cells"])]
    assert not empty, f"built notebooks without outputs: {empty}"
    if not (book / "build.log").is_file():
        pytest.skip("GRADFLOW_BUILT_BOOK: a book built elsewhere, without its log")
    log = (book / "build.log").read_text(errors="replace")
    chapters = sorted(p.stem for p in (ROOT / "chapters").glob("[0-9][0-9]_*.md"))
    ahead = re.findall(r"executed chapters/(\S+) in [0-9.]+ s", log)
    assert sorted(ahead) == chapters, "each chapter executes once, before Sphinx reads it"
    cached = re.findall(r"chapters/([0-9]{2}_\w+)\.md: Using cached notebook", log)
    assert sorted(cached) == chapters, "myst-nb finds every chapter in the cache"
    assert "Executing notebook using" not in log, "myst-nb executed a chapter itself: its notebook hashed differently"


def test_build_jobs_reads_the_environment(monkeypatch) -> None:
    spec = importlib.util.spec_from_file_location("parallel_execution", ROOT / "_ext" / "parallel_execution.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setenv("GRADFLOW_BUILD_JOBS", "3")
    assert module.build_jobs() == 3
    monkeypatch.delenv("GRADFLOW_BUILD_JOBS")
    assert 1 <= module.build_jobs() <= 4
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("GRADFLOW_BUILD_JOBS", bad)
        with pytest.raises(ValueError, match="positive integer"):
            module.build_jobs()
