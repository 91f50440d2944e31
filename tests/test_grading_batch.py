"""A batch an instructor can trust: a row for every file, safe tables, a gradebook, and clear command-line errors."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from gradflow.grading import __main__ as cli
from gradflow.grading import sandbox
from gradflow.grading.limits import Limits
from gradflow.grading.runner import grade_folder

ROOT = Path(__file__).resolve().parents[1]
MASTERS = ROOT / "exercises" / "masters"
EMPTY = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
PARTIAL = (
    "import os, time\n"
    "for fd in range(3, 32):\n"
    '    try:\n        os.write(fd, b\'{"kind": "ready", "problems": [\')\n    except OSError:\n        pass\n'
    "time.sleep(1000)\n"
)
NAMES = {
    "a b.ipynb": EMPTY,
    "a_b.ipynb": EMPTY,
    "ü.ipynb": EMPTY,
    "ö.ipynb": EMPTY,
    "x" * 240 + ".ipynb": EMPTY,
    "=HYPERLINK(evil).ipynb": EMPTY,
    "renamed.ipynb.txt": EMPTY,
    "notes.json": {"not": "a notebook"},
    "photo.png": None,
    "canvas/smithjane_12345_678_ch01.ipynb": EMPTY,
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> tuple[dict[str, dict], Path, float]:
    subs, out = tmp_path_factory.mktemp("subs"), tmp_path_factory.mktemp("out")
    for name, nb in NAMES.items():
        (subs / name).parent.mkdir(parents=True, exist_ok=True)
        (subs / name).write_bytes(b"\x89PNG\r\n" if nb is None else json.dumps(nb).encode())
    (subs / os.fsdecode(b"not-utf8-\xff.txt")).write_text("x")
    partial = {**EMPTY, "cells": [{"cell_type": "code", "metadata": {}, "source": PARTIAL, "outputs": []}]}
    (subs / "partial_message.ipynb").write_text(json.dumps(partial))
    start = time.monotonic()
    limits = Limits(wall_s=15, cpu_s=30, cell_s=10, test_s=10)
    pattern = re.compile(r"_(?P<id>[0-9]+)_[0-9]+_")
    found = grade_folder(
        subs, MASTERS / "ch01_tests.py", out, limits, jobs=2, progress=False, id_pattern=pattern, warm=False
    )
    return {r["path"]: r for r in found}, out, time.monotonic() - start


def test_every_file_has_its_own_row(batch):
    found, out, _ = batch
    assert set(found) == {*NAMES, "partial_message.ipynb", "not-utf8-\ufffd.txt"}
    assert len({r["submission"] for r in found.values()}) == len(found)
    for name in ("renamed.ipynb.txt", "a b.ipynb", "ü.ipynb"):
        assert found[name]["status"] == "graded" and found[name]["score"] == 0
    for name in ("notes.json", "photo.png"):
        assert found[name]["status"] == "unreadable" and found[name]["score"] == 0
    feedback = (out / "feedback" / f"{found['photo.png']['submission']}.md").read_text()
    assert "not a Jupyter notebook" in feedback
    assert len(list((out / "feedback").iterdir())) == len(found)


def test_a_partial_message_is_cut_off_by_the_deadline(batch):
    found, _, elapsed = batch
    r = found["partial_message.ipynb"]
    assert r["status"] == "graded (steps skipped)" and r["score"] == 0
    assert "time limit of 15 s" in r["problems"][0]["message"] and r["problems"][0]["step"] == "cell:1"
    assert elapsed < 120


def test_tables_cannot_run_formulas(batch):
    _, out, _ = batch
    for table in ("scores.csv", "gradebook.csv"):
        with open(out / table, newline="", encoding="utf-8") as fh:
            cells = [c for row in csv.reader(fh) for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], table
    assert "'=HYPERLINK(evil)" in (out / "scores.csv").read_text()


def test_gradebook_has_student_ids_questions_and_total(batch):
    _, out, _ = batch
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["SIS User ID", "ch01 q1", "ch01 q2", "ch01 q3", "ch01 q4", "ch01 total"]
    assert [r["SIS User ID"] for r in rows].count("12345") == 1
    assert len(rows) == len(NAMES) + 2


def test_missing_bwrap_is_an_error_that_says_how_to_install(monkeypatch):
    sandbox.check_bwrap.cache_clear()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    try:
        with pytest.raises(sandbox.SandboxError, match="apt-get install bubblewrap"):
            sandbox.check_bwrap()
    finally:
        sandbox.check_bwrap.cache_clear()


def test_cli_sandbox_none_warns_and_masters_are_found_from_anywhere(tmp_path, monkeypatch, capsys):
    (tmp_path / "subs").mkdir()
    monkeypatch.chdir(tmp_path)  # outside the repository
    assert cli.main(["grade", "ch01", "subs", "-o", "out", "--sandbox", "none", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "WARNING: grading without a sandbox" in captured.err and "graded 0 files" in captured.out
    assert (tmp_path / "out" / "gradebook.csv").is_file()
    assert cli.main(["grade", "ch01", "subs", "-o", "out", "--masters", "nowhere"]) == 2
    assert "Pass --masters" in capsys.readouterr().err
    assert cli.main(["grade", "ch01", "subs", "-o", "out", "--memory", "1000"]) == 2
    assert "3072" in capsys.readouterr().err


def test_without_a_sandbox_the_same_boundary_grades(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    cell = {
        "cell_type": "code",
        "metadata": {},
        "outputs": [],
        "source": "def sigmoid_chain_bound(depth):\n    return 0.25**depth",
    }
    (subs / "q4.ipynb").write_text(json.dumps({**EMPTY, "cells": [cell]}))
    limits = Limits(wall_s=60, cpu_s=30)
    out = tmp_path / "out"
    [r] = grade_folder(subs, MASTERS / "ch01_tests.py", out, limits, progress=False, sandbox_kind="none", warm=False)
    assert r["status"] == "graded" and r["score"] == r["questions"]["q4"]["score"] == 3
