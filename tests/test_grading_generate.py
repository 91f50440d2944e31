"""Student notebooks and public tests: generated from the masters, up to date, free of solutions and hidden tests."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from gradflow.grading import generate
from gradflow.grading.notebooks import read_master
from gradflow.grading.suites import load_suite

ROOT = Path(__file__).resolve().parents[1]
MASTERS = ROOT / "exercises" / "masters"
STUDENT = ROOT / "exercises" / "student"
PUBLIC = ROOT / "src" / "gradflow" / "grading" / "public"
CHAPTERS = generate.chapters(MASTERS)


def _normalised(text: str, suffix: str) -> object:
    if suffix != ".ipynb":
        return text
    nb = json.loads(text)
    for cell in nb["cells"]:
        cell.pop("id", None)
        cell.get("metadata", {}).pop("execution", None)
    nb["metadata"] = {k: v for k, v in nb["metadata"].items() if k in ("gradflow", "kernelspec")}
    return nb


def test_every_existing_chapter_has_exercises():
    chapters = sorted(
        {m.group(1) for p in (ROOT / "chapters").glob("[0-9][0-9]_*.md") if (m := re.match(r"(\d\d)_", p.name))}
    )
    assert chapters, "no chapters found"
    assert [f"ch{c}" for c in chapters] == [c for c in CHAPTERS if c[2:] in chapters]
    assert all(f"ch{c}" in CHAPTERS for c in chapters)


@pytest.mark.parametrize("path", sorted(generate.outputs(MASTERS, STUDENT, PUBLIC)), ids=lambda p: p.name)
def test_generated_files_are_up_to_date(path):
    expected = generate.outputs(MASTERS, STUDENT, PUBLIC)[path]
    assert path.exists(), f"{path} is missing: run `python -m gradflow.grading generate`"
    assert _normalised(path.read_text(), path.suffix) == _normalised(expected, path.suffix), (
        f"{path} is out of date: run `python -m gradflow.grading generate`"
    )


def _solution_lines(chapter: str) -> set[str]:
    """Code lines of the master that are solutions: inside BEGIN/END SOLUTION or marked # SOLUTION."""
    lines = set()
    for cell in read_master(MASTERS / f"{chapter}.md"):
        if cell["cell_type"] != "code":
            continue
        inside = False
        for line in cell["source"].splitlines():
            if "# BEGIN SOLUTION" in line:
                inside = True
            elif "# END SOLUTION" in line:
                inside = False
            elif inside or line.rstrip().endswith("# SOLUTION"):
                lines.add(line.split("# SOLUTION")[0].strip())
    return {line for line in lines if len(line) > 3}


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_notebook_has_no_solution_code(chapter):
    text = (STUDENT / f"{chapter}.ipynb").read_text()
    nb = json.loads(text)
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    solutions = _solution_lines(chapter)
    assert len(solutions) >= 4
    leaked = [line for line in solutions if line in code]
    assert not leaked, f"solution code in the student notebook: {leaked}"
    assert "SOLUTION" not in text
    assert all(
        not c.get("outputs") and c.get("execution_count") is None for c in nb["cells"] if c["cell_type"] == "code"
    )


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_shipped_files_have_no_hidden_tests(chapter):
    full = load_suite(MASTERS / f"{chapter}_tests.py", name="_full")
    public = load_suite(PUBLIC / f"{chapter}.py", name="_public")
    hidden = [t for t in full.tests if t.hidden]
    assert hidden and all(not t.hidden for t in public.tests)
    assert [t.name for t in public.tests] == [t.name for t in full.tests if not t.hidden]
    tree = ast.parse((MASTERS / f"{chapter}_tests.py").read_text())
    hidden_names = {t.name for t in hidden}
    hidden_nodes = [n for n in tree.body if getattr(n, "name", None) in hidden_names]
    shipped = (PUBLIC / f"{chapter}.py").read_text() + (STUDENT / f"{chapter}.ipynb").read_text()
    assert len(hidden_nodes) == len(hidden)
    for t in hidden:
        assert f"def {t.name}" not in shipped and t.description not in shipped
    texts = [
        n.value
        for node in hidden_nodes
        for n in ast.walk(node)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]
    for text in texts:  # every hint and reference text of a hidden test
        if len(text) >= 25:
            assert text not in shipped, f"hidden test text shipped: {text}"
    public_code = (PUBLIC / f"{chapter}.py").read_text()
    numbers = {
        n.value
        for node in hidden_nodes
        for n in ast.walk(node)
        if isinstance(n, ast.Constant) and type(n.value) is float
    }
    for value in numbers:  # reference values such as 1.6664660e-06
        if len(repr(value).replace("0", "").replace(".", "")) > 3:
            assert repr(value) not in public_code and f"{value:.4g}" not in public_code


def test_student_notebook_is_valid_nbformat():
    nbformat = pytest.importorskip("nbformat")
    for chapter in CHAPTERS:
        nbformat.validate(nbformat.read(STUDENT / f"{chapter}.ipynb", as_version=4))


def test_strip_solutions_blocks_lines_and_leftovers():
    src = "def f(x):\n    # BEGIN SOLUTION\n    y = 2 * x\n    return y\n    # END SOLUTION\nanswer = f(3)  # SOLUTION\n    return 0.25  # SOLUTION"
    out = generate.strip_solutions(src)
    assert out == "def f(x):\n    ...  # YOUR CODE HERE\nanswer = ...  # YOUR ANSWER HERE\n    ...  # YOUR CODE HERE"
    with pytest.raises(ValueError, match="unmatched solution marker"):
        generate.strip_solutions("# BEGIN SOLUTION\nx = 1\n")


def test_public_tests_drop_hidden_functions_and_their_imports(tmp_path):
    tests = tmp_path / "ch99_tests.py"
    tests.write_text(
        '"""Doc."""\n\nfrom gradflow.grading.checks import Suite, expect, number\n\nsuite = Suite("ch99", {"q1": "x"})\n\n\n'
        '@suite.test("q1")\ndef shown(ns):\n    """public"""\n    expect(True, "h")\n\n\n'
        '# secret\n@suite.test("q1", hidden=True)\ndef secret(ns):\n    """hidden"""\n    number(42, "x")\n'
    )
    out = generate.public_tests(tests, "ch99")
    assert "secret" not in out and "42" not in out and "number" not in out
    assert "def shown" in out and "from gradflow.grading.checks import Suite, expect" in out
    ast.parse(out)


def test_website_page_links_every_student_notebook():
    page = (ROOT / "chapters" / "exercises.md").read_text()
    for chapter in CHAPTERS:
        assert f"<../exercises/student/{chapter}.ipynb>" in page, f"chapters/exercises.md does not link {chapter}"
    for target in re.findall(r"\{download\}`[^<`]*<([^>]+)>`", page):
        assert (ROOT / "chapters" / target).resolve().is_file(), target
