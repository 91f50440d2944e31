"""Batch grading: masters score full marks, blanks zero, and every bad submission gets a fair score and message."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from gradflow.grading import results
from gradflow.grading.limits import Limits
from gradflow.grading.runner import grade_folder

ROOT = Path(__file__).resolve().parents[1]
MASTERS = ROOT / "exercises" / "masters"
STUDENT = ROOT / "exercises" / "student"
LIMITS = Limits(wall_s=180, cpu_s=25, cell_s=8, test_s=8, memory_mb=4096)  # CPU seconds: robust to a busy machine
FULL = 13.0


def master_notebook(chapter: str) -> dict:
    import jupytext

    return json.loads(jupytext.writes(jupytext.read(MASTERS / f"{chapter}.md"), fmt="ipynb"))


def edit(nb: dict, marker: str, source: str | None = None, before: str | None = None) -> dict:
    """A copy of ``nb`` with the code cell containing ``marker`` replaced by ``source`` (or ``before`` inserted ahead)."""
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code" and marker in "".join(cell["source"]):
            if before is not None:
                nb["cells"].insert(
                    i, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": before}
                )
            else:
                cell["source"] = source
            return nb
    raise AssertionError(f"no code cell contains {marker!r}")


BAD_CH01 = {
    # name: (how to make it from the master, expected score, words the feedback must contain)
    "syntax_error": (
        lambda nb: edit(nb, "def sigmoid_derivative", "def sigmoid_derivative(x)\n    return x"),
        FULL - 5,
        "SyntaxError",
    ),
    "raising_cell": (
        lambda nb: edit(nb, "ratio_first_last =", "ratio_first_last = 1 / 0"),
        FULL - 3,
        "ZeroDivisionError",
    ),
    "infinite_loop": (lambda nb: edit(nb, "smallest_depth =", before="while True:\n    pass"), FULL, "time limit"),
    "stubborn_loop": (
        lambda nb: edit(
            nb,
            "smallest_depth =",
            before="while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass",
        ),
        FULL,
        "killed",
    ),
    "nan_answer": (lambda nb: edit(nb, "ratio_first_last =", "ratio_first_last = float('nan')"), FULL - 3, "NaN"),
    "wrong_shape": (
        lambda nb: edit(
            nb,
            "def sigmoid_derivative",
            "def sigmoid_derivative(x):\n    s = jax.nn.sigmoid(x)\n    return jnp.sum(s * (1 - s))",
        ),
        FULL - 3,
        "shape",
    ),
    "wrong_dtype": (
        lambda nb: edit(
            nb,
            "def sigmoid_derivative",
            "def sigmoid_derivative(x):\n    s = np.asarray(jax.nn.sigmoid(x), np.float64)\n    return s * (1 - s)",
        ),
        FULL - 1,
        "float64",
    ),
    "huge_numpy": (
        lambda nb: edit(nb, "smallest_depth =", before="big = np.ones((200_000, 200_000))"),
        FULL,
        "MemoryError",
    ),
    "hard_exit": (lambda nb: edit(nb, "smallest_depth =", before="import os\nos._exit(3)"), FULL, "crashed"),
    "exit_in_function": (  # a probe that kills the worker fails only its own test
        lambda nb: edit(
            nb,
            "def sigmoid_chain_bound",
            "import os\n\ndef sigmoid_chain_bound(depth):\n    if depth == 10:\n        os._exit(1)\n    return 0.25**depth",
        ),
        FULL - 1,
        "stopped the grading process",
    ),
    "grad_by_getattr": (  # source questions read the cells: a dynamic lookup cannot hide jax.grad
        lambda nb: edit(
            nb,
            "def sigmoid_derivative",
            "def sigmoid_derivative(x):\n    g = getattr(jax, 'gr' + 'ad')(jax.nn.sigmoid)\n"
            "    return jax.vmap(g)(jnp.ravel(x)).reshape(jnp.shape(x))",
        ),
        FULL - 1,
        "dynamic lookups such as getattr",
    ),
    "files": (
        lambda nb: edit(
            nb,
            "smallest_depth =",
            before="import os, shutil\nfor f in os.listdir('.'):\n    os.remove(f)\nopen('scores.csv', 'w').write('x')\nshutil.rmtree(os.path.expanduser('~'), ignore_errors=True)",
        ),
        FULL,
        "",
    ),
}


def _blank_tampering(nb: dict) -> dict:
    nb = edit(nb, 'check("q1")', "check = lambda q: print('all passed')\ncheck('q1')")
    return edit(
        nb,
        "smallest_depth =",
        before=(
            "import gradflow.grading.checks as c, gradflow.grading.public.ch01 as p\n"
            "c.run_test = lambda t, ns: None\nc.Suite.of = lambda self, q, hidden=True: []\np.suite.tests.clear()\n"
            "def expect(*a): pass\n"
        ),
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[dict[str, dict], Path, Path]:
    subs = tmp_path_factory.mktemp("subs")
    out = tmp_path_factory.mktemp("out")
    master = master_notebook("ch01")
    blank = json.loads((STUDENT / "ch01.ipynb").read_text())
    for name, (make, _, _) in BAD_CH01.items():
        (subs / f"{name}.ipynb").write_text(json.dumps(make(master)))
    (subs / "master.ipynb").write_text(json.dumps(master))
    (subs / "blank.ipynb").write_text(json.dumps(blank))
    (subs / "tampering.ipynb").write_text(json.dumps(_blank_tampering(blank)))
    edited = master
    for q in ("q1", "q2", "q3", "q4"):
        edited = edit(edited, f'check("{q}")', f"print('{q}: all tests passed!')")
    (subs / "edited_test_cells.ipynb").write_text(
        json.dumps(edit(edited, "sigmoid_chain_bound", "def sigmoid_chain_bound(d):\n    return 0.25"))
    )
    (subs / "sub dir").mkdir()
    (subs / "sub dir" / "My Homework (1).ipynb").write_text(json.dumps(master))
    (subs / "empty.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    (subs / "not_json.ipynb").write_text("this is not a notebook {")
    before = {p: p.read_bytes() for p in subs.rglob("*") if p.is_file()}
    tests_before = (MASTERS / "ch01_tests.py").read_bytes()
    found = by_path(grade_folder(subs, MASTERS / "ch01_tests.py", out, LIMITS, jobs=2, progress=False))
    assert {p: p.read_bytes() for p in subs.rglob("*") if p.is_file()} == before, "the submissions folder was changed"
    assert (MASTERS / "ch01_tests.py").read_bytes() == tests_before
    return found, subs, out


def by_path(found: list[dict]) -> dict[str, dict]:
    """Results by their path under the submissions folder, without ``.ipynb``."""
    return {r["path"].removesuffix(".ipynb"): r for r in found}


def _feedback(out: Path, name: str) -> str:
    key = next(
        p.stem for p in (out / "results").glob("*.json") if json.loads(p.read_text())["path"].startswith(name + ".")
    )
    return (out / "feedback" / f"{key}.md").read_text()


def test_master_full_marks_and_blank_zero(graded):
    found, _, out = graded
    assert found["master"]["score"] == found["master"]["max"] == FULL
    assert found["master"]["problems"] == []
    assert 0.5 < found["master"]["worker_cpu_s"] < LIMITS.cpu_s  # the sandboxed worker's CPU time is measured
    assert found["blank"]["score"] == 0 and found["blank"]["status"] == "graded"
    assert "replace the `...`" in _feedback(out, "blank")


@pytest.mark.parametrize("name", sorted(BAD_CH01))
def test_bad_submission_fair_score_and_message(graded, name):
    found, _, out = graded
    _, expected, words = BAD_CH01[name]
    assert found[name]["score"] == expected, _feedback(out, name)
    assert words in _feedback(out, name)


def test_tampering_and_edited_test_cells_change_nothing(graded):
    found, _, out = graded
    assert found["tampering"]["score"] == 0
    assert found["edited_test_cells"]["score"] == FULL - 2  # only the wrong sigmoid_chain_bound loses points
    assert "sigmoid_chain_bound(10) is right" in _feedback(out, "edited_test_cells")


def test_renamed_empty_and_unreadable(graded):
    found, _, out = graded
    assert found["sub dir/My Homework (1)"]["score"] == FULL
    assert found["empty"]["score"] == 0 and found["empty"]["status"] == "graded"
    assert found["not_json"]["score"] == 0 and found["not_json"]["status"] == "unreadable"
    assert "not valid JSON" in _feedback(out, "not_json")


def test_tables_have_one_row_per_submission(graded):
    found, _, out = graded
    rows = (out / "scores.csv").read_text().splitlines()
    assert rows[0] == "submission,student,path,q1,q2,q3,q4,total,max,status"
    assert len(rows) == 1 + len(found)
    doc = json.loads((out / "scores.json").read_text())
    assert {r["submission"] for r in doc["submissions"]} == {r["submission"] for r in found.values()}
    master = next(r for r in doc["submissions"] if r["path"] == "master.ipynb")
    assert (master["q1"], master["q2"], master["q3"], master["q4"]) == (5, 3, 2, 3)


def test_rerun_skips_graded_and_regrades_changed(graded, tmp_path):
    found, subs, out = graded
    stored = out / "results" / f"{found['master']['submission']}.json"
    stamp = stored.stat().st_mtime_ns
    (out / "results" / f"{found['blank']['submission']}.json").unlink()  # as if the batch was interrupted before it
    seen = []
    again = grade_folder(
        subs,
        MASTERS / "ch01_tests.py",
        out,
        LIMITS,
        jobs=2,
        progress=False,
        on_result=lambda r: seen.append(r["path"]),
        warm=False,
    )
    assert seen == ["blank.ipynb"]
    assert stored.stat().st_mtime_ns == stamp
    assert {k: r["score"] for k, r in by_path(again).items()} == {k: v["score"] for k, v in found.items()}


def test_write_atomic_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "scores.csv"
    results.write_atomic(target, "old\n")

    with pytest.raises(TypeError):
        results.write_atomic(target, None)  # fails half-way: after the temporary file is opened
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]


def test_chapter_two_master_and_blank(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "master.ipynb").write_text(json.dumps(master_notebook("ch02")))
    (subs / "blank.ipynb").write_bytes((STUDENT / "ch02.ipynb").read_bytes())
    found = by_path(grade_folder(subs, MASTERS / "ch02_tests.py", tmp_path / "out", LIMITS, progress=False, warm=False))
    assert found["master"]["score"] == found["master"]["max"] == 17
    assert found["master"]["problems"] == []
    assert found["blank"]["score"] == 0 and found["blank"]["problems"] == []
