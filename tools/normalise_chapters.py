"""Rewrite the chapters in the exact form JupyterLab (through jupytext) saves them, so that saving changes nothing.

A chapter opened as a notebook in JupyterLab is saved by jupytext's contents manager: it re-serialises the whole
file (YAML cell options wrapped at 80 columns, the kernelspec of the kernel that ran it). A chapter committed in
another form is rewritten on the first autosave, and a learner's ``git pull`` then conflicts. This script performs
exactly that save on every chapter that is a notebook (a Markdown file with a jupytext header and a kernelspec):

    python tools/normalise_chapters.py            # rewrite chapters/*.md in place, print the ones that changed
    python tools/normalise_chapters.py --check    # change nothing; exit 1 and list the chapters a save would change

Re-run it after merging chapter edits. The project's ``jupytext.toml`` keeps jupytext's version out of the header.
Only the chapter's serialisation changes (YAML wrapping, header), never its text or code.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
# What JupyterLab writes into a notebook's metadata once the project's kernel (ipykernel's "python3") has run it.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python", "version": "3.11.0"}  # jupytext leaves it out of the text file


def is_notebook(path: Path) -> bool:
    """A MyST Markdown file with a jupytext header and a kernelspec (the chapters; not the plain pages)."""
    head = path.read_text(encoding="utf-8")[:1000]
    return head.startswith("---\n") and "jupytext:" in head and "kernelspec:" in head


def notebooks(folder: Path = CHAPTERS) -> list[Path]:
    return [p for p in sorted(folder.glob("*.md")) if is_notebook(p)]


def saved_by_jupyterlab(path: Path) -> str:
    """The text jupytext's contents manager (what JupyterLab saves through) writes for `path` after a kernel ran it.

    The save happens in a temporary copy of the repository's jupytext configuration, never in place.
    """
    from jupyter_server.services.contents.largefilemanager import LargeFileManager
    from jupytext.sync_contentsmanager import build_sync_jupytext_contents_manager_class

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for config in ("jupytext.toml",):
            if (ROOT / config).exists():
                shutil.copy(ROOT / config, work / config)
        shutil.copy(path, work / path.name)
        manager = build_sync_jupytext_contents_manager_class(LargeFileManager)(root_dir=str(work))
        model = manager.get(path.name, type="notebook")
        metadata = model["content"]["metadata"]
        metadata["kernelspec"] = dict(KERNELSPEC)
        metadata["language_info"] = dict(LANGUAGE_INFO)
        manager.save(model, path.name)
        return (work / path.name).read_text(encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a save would change a chapter")
    parser.add_argument("paths", nargs="*", type=Path, help="chapters to normalise (default: every chapter notebook)")
    args = parser.parse_args(argv)
    changed = []
    for path in args.paths or notebooks():
        before = path.read_text(encoding="utf-8")
        after = saved_by_jupyterlab(path)
        if after != before:
            changed.append(path)
            if not args.check:
                path.write_text(after, encoding="utf-8")
    verb = "would change" if args.check else "normalised"
    for path in changed:
        print(f"{verb}: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
