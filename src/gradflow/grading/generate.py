"""Student notebooks and public tests, generated from the solution masters.

A chapter's master is two files in ``exercises/masters``: ``ch01.md`` (a MyST Markdown notebook with the
solutions) and ``ch01_tests.py`` (its public and hidden tests). Generating writes

- ``exercises/student/ch01.ipynb``: the master without its solutions. In a code cell, the lines from
  ``# BEGIN SOLUTION`` to ``# END SOLUTION`` become ``...  # YOUR CODE HERE``; a line ``name = value  # SOLUTION``
  becomes ``name = ...  # YOUR ANSWER HERE`` (any other line ending so, ``...  # YOUR CODE HERE``); cells tagged ``instructor`` are dropped;
- ``src/gradflow/grading/public/ch01.py``: the tests file without its hidden tests (``hidden=True``).

Output is deterministic (cell ids ``ch01-00``, no outputs, no timestamps), so a test can check it is up to date.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

from gradflow.grading.notebooks import read_master

BLOCK = re.compile(r"^([ \t]*)# BEGIN SOLUTION[^\n]*\n.*?^[ \t]*# END SOLUTION[^\n]*(?:\n|\Z)", re.M | re.S)
LINE = re.compile(r"^([ \t]*)(?:([A-Za-z_][\w.\[\], ]*?)\s*=(?!=))?[^\n]*#\s*SOLUTION[ \t]*$", re.M)
INSTRUCTOR_TAG = "instructor"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _blank_line(m: re.Match) -> str:
    if m.group(2):
        return f"{m.group(1)}{m.group(2)} = ...  # YOUR ANSWER HERE"
    return f"{m.group(1)}...  # YOUR CODE HERE"


def strip_solutions(source: str) -> str:
    """A code cell's source with every solution replaced by ``...``; raises if a marker is left over."""
    out = BLOCK.sub(lambda m: f"{m.group(1)}...  # YOUR CODE HERE\n", source)
    out = LINE.sub(_blank_line, out)
    if "SOLUTION" in out:
        raise ValueError(f"unmatched solution marker in a master cell:\n{source}")
    return out.rstrip("\n")


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def student_notebook(master: Path, chapter: str) -> dict[str, Any]:
    """The student notebook (nbformat 4.5 dict) made from the MyST master ``master``."""
    cells = []
    for cell in read_master(master):
        tags = list(cell["metadata"].get("tags", []))
        if INSTRUCTOR_TAG in tags:
            continue
        meta = {"tags": tags} if tags else {}
        cid = f"{chapter}-{len(cells):02d}"
        if cell["cell_type"] == "code":
            src = strip_solutions(cell["source"])
            ast.parse("\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!"))))
            cells.append(
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "id": cid,
                    "metadata": meta,
                    "outputs": [],
                    "source": _lines(src),
                }
            )
        else:
            cells.append({"cell_type": "markdown", "id": cid, "metadata": meta, "source": _lines(cell["source"])})
    metadata = {
        "gradflow": {"chapter": chapter, "generated_from": f"exercises/masters/{chapter}.md"},
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python"},
    }
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def _is_hidden(node: ast.stmt) -> bool:
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    for dec in node.decorator_list:
        if isinstance(dec, ast.Call):
            for kw in dec.keywords:
                if kw.arg == "hidden":
                    if not isinstance(kw.value, ast.Constant):
                        raise ValueError(f"test {node.name}: hidden= must be a literal True or False")
                    return bool(kw.value.value)
    return False


def _drop_unused_imports(source: str) -> str:
    """Remove top-level imported names that the (public) code no longer uses, e.g. helpers of hidden tests."""
    tree = ast.parse(source)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    lines = source.splitlines()
    for node in reversed(tree.body):
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or (
            isinstance(node, ast.ImportFrom) and node.module == "__future__"
        ):
            continue
        keep = [a for a in node.names if (a.asname or a.name).split(".")[0] in used]
        if len(keep) == len(node.names):
            continue
        new = [] if not keep else [ast.unparse(type(node)(**{**node.__dict__, "names": keep}))]
        lines[node.lineno - 1 : node.end_lineno] = new
    return "\n".join(lines)


def public_tests(tests_file: Path, chapter: str) -> str:
    """The source of ``tests_file`` without its hidden tests (and the comment lines just above them)."""
    text = tests_file.read_text()
    tree = ast.parse(text)
    lines = text.splitlines()
    drop: set[int] = set()
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        drop.update(range(body[0].lineno - 1, body[0].end_lineno))
    for node in body:
        if _is_hidden(node):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            while start > 0 and lines[start - 1].lstrip().startswith("#"):
                start -= 1
            drop.update(range(start, node.end_lineno))
    kept = _drop_unused_imports("\n".join(line for i, line in enumerate(lines) if i not in drop))
    kept = re.sub(r"\n{4,}", "\n\n\n", kept).strip("\n")
    header = (
        f'"""Public tests of the {chapter} graded exercises.\n\n'
        f"Generated from exercises/masters/{chapter}_tests.py by ``python -m gradflow.grading generate``: do not edit.\n"
        '"""\n\n'
    )
    return header + kept + "\n"


def chapters(masters: Path) -> list[str]:
    """Chapters with a master notebook and a tests file, e.g. ["ch01", "ch02"]."""
    return sorted(p.stem for p in masters.glob("ch*.md") if (masters / f"{p.stem}_tests.py").exists())


def outputs(masters: Path, student_dir: Path, public_dir: Path) -> dict[Path, str]:
    """Every generated file and its content."""
    files: dict[Path, str] = {}
    for ch in chapters(masters):
        nb = student_notebook(masters / f"{ch}.md", ch)
        files[student_dir / f"{ch}.ipynb"] = json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        files[public_dir / f"{ch}.py"] = public_tests(masters / f"{ch}_tests.py", ch)
    return files


def generate(masters: Path, student_dir: Path, public_dir: Path) -> list[Path]:
    """Write the student notebooks and public tests; return the paths written."""
    files = outputs(masters, student_dir, public_dir)
    if not files:
        raise ValueError(f"no masters (chNN.md with chNN_tests.py) in {masters}")
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != content:
            path.write_text(content)
    return sorted(files)
