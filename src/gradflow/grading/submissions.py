"""The files of a submissions folder: every one gets a row, under a key no other file name can share."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

CHECKPOINTS = ".ipynb_checkpoints"
MAX_BYTES = 32 * 1024 * 1024


def files_in(folder: Path, exclude: Path | None = None) -> list[Path]:
    """Every regular file under ``folder`` (Jupyter's checkpoint folders and ``exclude`` left out), sorted."""
    if not folder.is_dir():
        raise ValueError(f"no submissions folder {folder}")
    return sorted(
        p
        for p in folder.rglob("*")
        if CHECKPOINTS not in p.parts and p.is_file() and not (exclude and p.is_relative_to(exclude))
    )


def shown(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` as printable text (bytes that are not UTF-8 become U+FFFD)."""
    return path.relative_to(root).as_posix().encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def key_of(path: Path, root: Path) -> str:
    """A file-system-safe key for a submission: a readable slug of its path plus a hash of the exact path.

    Two different paths never share a key (``a b.ipynb`` and ``a_b.ipynb``, ``ü`` and ``ö``); keys stay short for
    any name length.
    """
    rel = path.relative_to(root).as_posix()
    ascii_name = unicodedata.normalize("NFKD", rel.removesuffix(".ipynb")).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "_", ascii_name.replace("/", "__")).strip("_")[:60] or "submission"
    return f"{slug}-{hashlib.sha256(rel.encode('utf-8', 'surrogateescape')).hexdigest()[:10]}"


def student_id(path: Path, root: Path, pattern: re.Pattern[str] | None) -> str:
    """The student identifier in a submission's path: the ``id`` group (or the whole match) of ``pattern``.

    Without a pattern it is the file name without its extension. "" if the pattern does not match.
    """
    rel = shown(path, root)
    if pattern is None:
        return rel.rpartition("/")[2].removesuffix(".ipynb")
    m = pattern.search(rel)
    if m is None:
        return ""
    return m.group("id") if "id" in pattern.groupindex else m.group(0)
