"""`make bench`: every speed measurement of the course, printed as one table with its targets.

Run it with nothing else running on the machine: shared cores skew every figure.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import build
import explorers
import sweep
from common import ROOT, Result, machine, save, table


def grading() -> list[Result]:
    """Run benchmarks/grading.py (batch grading throughput) and collect its results file."""
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "grading.py")], check=True)
    import json

    data = json.loads((ROOT / "benchmarks" / "results" / "grading.json").read_text())
    return [Result(**r) for r in data["results"]]


def main() -> None:
    results: list[Result] = []
    for name, run in [
        ("sweep", sweep.main),
        ("explorers", lambda: explorers.main(sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md")))),
        ("grading", grading),
        ("build", build.main),
    ]:
        print(f"== {name} ...", flush=True)
        part = run()
        print(table(part), flush=True)  # each part's figures as soon as they are measured
        results += part
        save("all", results)  # kept even if a later part fails
    print(f"\nMachine: {machine()}\n")
    print(table(results))
    missed = [r for r in results if r.met is False]
    print(
        f"\n{sum(r.met is True for r in results)} targets met, {len(missed)} missed"
        + (": " + "; ".join(r.name for r in missed) if missed else "")
    )
    save("all", results)


if __name__ == "__main__":
    main()
