"""Grading results on disk: one JSON per submission (written atomically), score tables, a gradebook, feedback.

Learner-controlled text (file names, exception messages, output) is escaped in the feedback (:mod:`~gradflow.grading.safe`)
and neutralised in the CSV files (no cell starts a spreadsheet formula). Feedback shows the hints the tests' authors
wrote, never a test's code or reference values.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from gradflow.grading import safe
from gradflow.grading.checks import Suite

Result = dict[str, Any]


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build(suite: Suite, outcomes: list[dict[str, Any]], problems: list[dict[str, str]], **info: Any) -> Result:
    """A submission's result from its test outcomes; tests without an outcome score 0 with the reason given."""
    by_name = {o["test"]: o for o in outcomes}
    reason = info.pop("missing_reason", "This test could not be run.")
    tests = []
    for t in suite.tests:
        o = by_name.get(t.name) or {
            "test": t.name,
            "question": t.question,
            "description": t.description,
            "points": t.points,
            "earned": 0.0,
            "hidden": t.hidden,
            "message": reason,
            "detail": "",
        }
        tests.append(o)
    questions = {
        q: {"title": title, "score": sum(o["earned"] for o in tests if o["question"] == q), "max": suite.max_points(q)}
        for q, title in suite.questions.items()
    }
    score = sum(v["score"] for v in questions.values())
    return {
        **info,
        "chapter": suite.chapter,
        "score": score,
        "max": suite.max_points(),
        "questions": questions,
        "tests": tests,
        "problems": problems,
    }


def _step_name(step: str) -> str:
    kind, _, what = step.partition(":")
    return f"code cell {what}" if kind == "cell" else f"test {what}"


def _problem(p: dict[str, str]) -> str:
    message, _, output = p["message"].partition(" Last output: ")
    line = f"- {_step_name(p['step']).capitalize()} {safe.text(message)}" if p["step"] else f"- {safe.text(message)}"
    return line + (f"\n\n  Last output:\n\n{safe.block(output)}\n" if output else "")


def feedback(result: Result) -> str:
    """The feedback a learner reads, as Markdown (learner-controlled text escaped)."""
    lines = [
        f"# Feedback on {safe.text(result['path'])} ({result['chapter']})",
        "",
        f"**Score: {result['score']:g} / {result['max']:g}**",
        "",
    ]
    if result.get("status") != "graded":
        lines += [f"Status: {result.get('status')}", ""]
    if result["problems"]:
        lines += ["## While running your notebook", ""]
        lines += [_problem(p) for p in result["problems"]]
        lines.append("")
    for q, v in result["questions"].items():
        lines += [f"## {q}: {v['title']} ({v['score']:g} / {v['max']:g})", ""]
        for o in (o for o in result["tests"] if o["question"] == q):
            mark = "✔" if o["earned"] >= o["points"] else "✘"
            kind = " (hidden test)" if o["hidden"] else ""
            lines.append(f"- {mark} {o['description']}{kind} [{o['earned']:g}/{o['points']:g}]")
            if o["earned"] < o["points"] and o["message"]:
                lines.append(f"  - {o['message']}")
                if o.get("detail"):
                    lines.append(f"  - Your code's message: {safe.text(o['detail'])}")
        lines.append("")
    return "\n".join(lines)


def tables(suite: Suite, results: list[Result]) -> tuple[str, str]:
    """The per-question score table as (CSV text, JSON text), one row per submission, sorted by name."""
    qs = list(suite.questions)
    rows = []
    for r in sorted(results, key=lambda r: r["submission"]):
        row = {"submission": r["submission"], "path": r["path"], "status": r["status"]}
        if "student" in r:
            row["student"] = r["student"]
        row.update({q: r["questions"][q]["score"] for q in qs})
        row.update(total=r["score"], max=r["max"])
        rows.append(row)
    buf = io.StringIO()
    fields = ["submission", "student", "path", *qs, "total", "max", "status"]
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: safe.csv_cell(v) for k, v in row.items()} for row in rows)
    maxima = {q: suite.max_points(q) for q in qs}
    doc = {
        "chapter": suite.chapter,
        "questions": {q: {"title": suite.questions[q], "max": maxima[q]} for q in qs},
        "max": suite.max_points(),
        "submissions": rows,
    }
    return buf.getvalue(), json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def gradebook(suite: Suite, results: list[Result], id_column: str = "SIS User ID") -> str:
    """A CSV to import into Canvas or Gradescope: one row per submission with a student id (see
    :func:`gradflow.grading.submissions.student_id`), one column per question (``ch01 q1``) and the total."""
    qs = list(suite.questions)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([id_column, *(f"{suite.chapter} {q}" for q in qs), f"{suite.chapter} total"])
    for r in sorted(results, key=lambda r: (r.get("student", ""), r["submission"])):
        row = [r.get("student", ""), *(r["questions"][q]["score"] for q in qs), r["score"]]
        writer.writerow([safe.csv_cell(f"{v:g}" if isinstance(v, float) else v) for v in row])
    return buf.getvalue()


def load(path: Path) -> Result | None:
    """A stored result, or None if it is missing or unreadable (then it is graded again)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def json_text(result: Result) -> str:
    """A result as JSON text."""
    return json.dumps(result, indent=1, ensure_ascii=False) + "\n"
