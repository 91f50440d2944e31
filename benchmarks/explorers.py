"""Live explorer latency: time from a slider change to the updated figure, compute and redraw separately.

    .venv/bin/python benchmarks/explorers.py [chapters/NN_name.md ...]

Each chapter is executed with live explorers; then every slider combination is visited once (warm-up: each shape
is compiled once), and 40 random changes are timed. Reports p50/p95 of the update (compute + artist changes) and of
the whole refresh (update + PNG render), and the number of XLA compilations during the timed changes. The whole
refresh is also timed in CPU seconds of the kernel (all its threads): on a busy machine the wall time grows with the
load, the CPU time barely, and on a quiet one they agree (a refresh waits on nothing but the CPU).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).parent))
from common import ROOT, Result, percentile, save, table

MARK = "GRADFLOW-BENCH:"
PROBE = f"""
import itertools, json, random, time
import jax
from gradflow.views.widgets import LiveExplorer

_compiles = []
jax.monitoring.register_event_duration_secs_listener(
    lambda event, duration, **kw: _compiles.append(event) if event.endswith("backend_compile_duration") else None)
_found = [v for v in Out.values() if isinstance(v, LiveExplorer)]
_report = []
for _ex in _found:
    _names = list(_ex.sliders)
    _combos = [dict(zip(_names, c)) for c in itertools.product(*(_ex.sliders[n].options for n in _names))]
    for _c in _combos:
        _ex.set(**_c)
    _ex.timings.clear(); _compiles.clear()
    _rng = random.Random(0)
    _cpu = []
    for _ in range(40):
        _c0, _n0 = time.process_time(), len(_ex.timings)
        _ex.set(**_rng.choice(_combos))
        _k = len(_ex.timings) - _n0  # refreshes this change made (one per slider moved)
        _cpu += [(time.process_time() - _c0) / max(_k, 1)] * _k
    _report.append({{"timings": list(_ex.timings), "cpu": _cpu, "compiles": len(_compiles), "combos": len(_combos)}})
print("{MARK}" + json.dumps(_report))
"""


def measure(chapter: Path) -> list[dict]:
    """Execute ``chapter`` live with the probe appended; return one record per live explorer."""
    nb = jupytext.read(chapter)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(chapter.parent)}}
    )
    client.execute()
    for out in nb.cells[-1].get("outputs", []):
        if out.get("name") == "stdout" and MARK in out["text"]:
            return json.loads(out["text"].split(MARK, 1)[1])
    raise RuntimeError(f"{chapter}: the probe printed nothing")


def main(chapters: list[Path]) -> list[Result]:
    results = []
    for chapter in chapters:
        for i, record in enumerate(measure(chapter)):
            compute = [t[0] * 1e3 for t in record["timings"]]
            total = [(t[0] + t[1]) * 1e3 for t in record["timings"]]
            name = f"{chapter.stem} explorer {i + 1} ({record['combos']} settings)"
            results += [
                Result(f"{name}: compute p50", percentile(compute, 50), "ms"),
                Result(f"{name}: compute p95", percentile(compute, 95), "ms", target=20),
                Result(f"{name}: update p95", percentile(total, 95), "ms", target=200),
                Result(
                    f"{name}: update p95, CPU time", percentile([c * 1e3 for c in record["cpu"]], 95), "ms", target=200
                ),
                Result(f"{name}: compilations after warm-up", record["compiles"], "", target=0),
            ]
        print(f"measured {chapter}", file=sys.stderr, flush=True)
    return results


if __name__ == "__main__":
    import argparse
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", type=Path, help="chapter files (default: every numbered chapter)")
    args = parser.parse_args()
    missing = [p for p in args.chapters if not p.is_file()]
    if missing:
        parser.error(f"no such chapter file: {', '.join(map(str, missing))}")
    os.environ["GRADFLOW_STATIC_EXPLORERS"] = "0"
    paths = args.chapters or sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))
    results = main(paths)
    print(table(results))
    save("explorers", results)
