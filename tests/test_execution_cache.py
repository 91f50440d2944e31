"""The book's execution cache is keyed on the library code chapters execute, and on nothing else."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

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
