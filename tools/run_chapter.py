"""Execute one chapter the way the book build does, and report what the build would.

    .venv/bin/python tools/run_chapter.py chapters/02_backpropagation.md [--live]

Prints the execution time, anything the notebook wrote to stderr (which fails the
book build), any error, and each glued claim with its check against the chapters' claim files.
Explorers are pre-rendered (static) unless --live. Exits 1 on any problem. With
``--json PATH`` it also writes {chapter, seconds, claims: {id: {value, ok, message}},
problems} there (``tools/second_execution.py`` reads it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from gradflow._fast import build_xla_flags
from gradflow.claims import load


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapter", type=Path)
    parser.add_argument("--live", action="store_true", help="live explorers instead of pre-rendered frames")
    parser.add_argument("--cold", action="store_true", help="without the build's XLA compilation cache")
    parser.add_argument("--cells", type=int, default=0, metavar="N", help="also list the N slowest cells")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the result as JSON")
    args = parser.parse_args()
    if not args.live:
        os.environ["GRADFLOW_STATIC_EXPLORERS"] = "1"
    os.environ["XLA_FLAGS"] = build_xla_flags(os.environ.get("XLA_FLAGS", ""))  # as the book build does
    if args.cold:  # the book build's kernels share XLA's compilation cache in _build/.jax_cache
        os.environ.pop("JAX_COMPILATION_CACHE_DIR", None)
    else:
        os.environ.setdefault(
            "JAX_COMPILATION_CACHE_DIR", str(Path(__file__).resolve().parent.parent / "_build" / ".jax_cache")
        )
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1")
    nb = jupytext.read(args.chapter)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(args.chapter.parent)}}
    )
    start = time.perf_counter()
    problems = []
    try:
        client.execute()
    except CellExecutionError as err:  # its name and message first, then the cell and traceback without colour codes
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(err))
        problems.append(f"a cell raised {err.ename}: {err.evalue}\n{plain}")
    seconds = time.perf_counter() - start
    claims, checked = load(args.chapter.resolve().parent).by_id(), {}
    doc = f"{args.chapter.resolve().parent.name}/{args.chapter.stem}"  # as claims name it, from any working directory
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
                    problems.append(f"glued {name!r} is not a claim in the claim files")
                    continue
                ok, message = claim.check(value)
                checked[name] = {"value": value, "ok": ok, "message": message}
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
    if args.cells:
        print_slowest(nb, args.cells)
    nbformat.validate(nb)
    for p in problems:
        print("PROBLEM:", p)
    if args.json:
        result = {"chapter": args.chapter.stem, "seconds": seconds, "claims": checked, "problems": problems}
        args.json.write_text(json.dumps(result, indent=1, allow_nan=True))
    return 1 if problems else 0


def print_slowest(nb: nbformat.NotebookNode, n: int) -> None:
    """Print the ``n`` slowest code cells with their time and first line (from nbclient's timing metadata)."""
    from datetime import datetime

    times = []
    for i, cell in enumerate(nb.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            start, end = (
                datetime.fromisoformat(timing[k].rstrip("Z")) for k in ("iopub.execute_input", "shell.execute_reply")
            )
            times.append(((end - start).total_seconds(), i, cell.source.splitlines()[0] if cell.source else ""))
    for seconds, i, first in sorted(times, reverse=True)[:n]:
        print(f"  {seconds:6.1f} s  cell {i:3d}  {first[:90]}")


if __name__ == "__main__":
    sys.exit(main())
