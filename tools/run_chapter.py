"""Execute one chapter the way the book build does, and report what the build would.

    .venv/bin/python tools/run_chapter.py chapters/02_backpropagation.md [--live]

Prints the execution time, anything the notebook wrote to stderr (which fails the
book build), any error, and each glued claim with its check against gradflow.claims.
Explorers are pre-rendered (static) unless --live. Exits 1 on any problem.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from gradflow.claims import by_id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapter", type=Path)
    parser.add_argument("--live", action="store_true", help="live explorers instead of pre-rendered frames")
    args = parser.parse_args()
    if not args.live:
        os.environ["GRADFLOW_STATIC_EXPLORERS"] = "1"
    nb = jupytext.read(args.chapter)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(args.chapter.parent)}}
    )
    start = time.perf_counter()
    problems = []
    try:
        client.execute()
    except CellExecutionError as err:
        problems.append(f"a cell raised:\n{err}")
    seconds = time.perf_counter() - start
    claims = by_id()
    doc = args.chapter.with_suffix("").as_posix()
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("name") == "stderr":
                problems.append(f"cell {i} wrote to stderr (fails the build): {out['text'][:500]}")
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                data = out["data"]
                value = float(data.get("application/papermill.record/text/plain", data.get("text/plain")))
                claim = claims.get(name)
                if claim is None:
                    problems.append(f"glued {name!r} is not a claim in gradflow.claims")
                    continue
                ok, message = claim.check(value)
                if claim.chapter != doc:
                    problems.append(f"{name} is glued here but its claim names chapter {claim.chapter}")
                print(("PASS " if ok else "FAIL ") + message)
                if not ok:
                    problems.append(message)
    missing = [
        c.id for c in claims.values() if c.chapter == doc and c.id not in str([c.get("outputs") for c in nb.cells])
    ]
    problems += [f"claim {m} names this chapter but is never glued" for m in missing]
    print(f"\nexecuted {args.chapter} in {seconds:.1f} s")
    nbformat.validate(nb)
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
