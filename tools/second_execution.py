"""Execute every chapter again under another seed set and a smaller CPU instruction set, and check every claim.

    .venv/bin/python tools/second_execution.py [--seed-set 1] [--isa SSE4_2] [--jobs 2] [--out DIR]

The book is published from seed set 0 on whatever CPU built it. A claim that is a
statistic over seeds must also hold for other seeds, and one that is exact must stay
exact when XLA generates other machine code: this runs each chapter of ``_toc.yml``
with ``GRADFLOW_SEED_SET`` (see :mod:`gradflow.seeds`) and
``XLA_FLAGS=--xla_cpu_max_isa=<isa>``, cold (no compilation cache), through
``tools/run_chapter.py``, ``--jobs`` chapters at a time. Each chapter's result
(seconds, problems, every glued claim with its check) goes to ``DIR/<chapter>.json``
and a summary to stdout. Exits 1 when any chapter has a problem.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def chapters(root: Path = ROOT) -> list[Path]:
    """The executable chapters of ``_toc.yml``, in book order (pages without code cells are skipped)."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [entry["file"] for part in toc["parts"] for entry in part["chapters"]]
    paths = [root / f"{f}.md" for f in files]
    return [p for p in paths if "```{code-cell}" in p.read_text()]


def environment(seed_set: int, isa: str | None) -> dict[str, str]:
    """The environment of a second execution: the seed set, the instruction set, no compilation cache."""
    env = dict(os.environ, GRADFLOW_SEED_SET=str(seed_set))
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    flags = [f for f in env.get("XLA_FLAGS", "").split() if not f.startswith("--xla_cpu_max_isa")]
    if isa:
        flags.append(f"--xla_cpu_max_isa={isa}")
    env["XLA_FLAGS"] = " ".join(flags)
    return env


def run_one(chapter: Path, out: Path, env: dict[str, str]) -> dict:
    """Execute one chapter with ``tools/run_chapter.py --cold --json``; its result, read back from the JSON."""
    result_file = out / f"{chapter.stem}.json"
    cmd = [sys.executable, str(ROOT / "tools" / "run_chapter.py"), str(chapter.relative_to(ROOT))]
    cmd += ["--cold", "--json", str(result_file)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if result_file.exists():
        return json.loads(result_file.read_text())
    tail = (proc.stdout + proc.stderr)[-3000:]
    return {"chapter": chapter.stem, "seconds": None, "claims": {}, "problems": [f"run_chapter failed:\n{tail}"]}


def execute_all(out: Path, seed_set: int = 1, isa: str | None = "SSE4_2", jobs: int = 2) -> list[dict]:
    """Run every chapter (``jobs`` at a time, in book order); the results in book order."""
    if seed_set < 1:
        raise ValueError(f"a second execution needs another seed set than the book's (0); got {seed_set}")
    out.mkdir(parents=True, exist_ok=True)
    env = environment(seed_set, isa)
    todo = chapters()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = dict(zip(todo, pool.map(lambda c: run_one(c, out, env), todo), strict=True))
    return [results[c] for c in todo]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-set", type=int, default=1)
    parser.add_argument("--isa", default="SSE4_2", help="XLA's --xla_cpu_max_isa ('' for the machine's own)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "second_execution")
    args = parser.parse_args()
    start = time.perf_counter()
    results = execute_all(args.out, args.seed_set, args.isa or None, args.jobs)
    failed = 0
    for r in results:
        seconds = f"{r['seconds']:.1f} s" if r["seconds"] is not None else "-"
        print(f"{r['chapter']:40s} {seconds:>8s}  {len(r['claims'])} claims, {len(r['problems'])} problems")
        for p in r["problems"]:
            print("   PROBLEM:", p[:2000])
        failed += bool(r["problems"])
    print(f"\nseed set {args.seed_set}, ISA {args.isa or 'native'}: {len(results)} chapters in "
          f"{time.perf_counter() - start:.0f} s, {failed} with problems")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
