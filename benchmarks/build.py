"""Book build times: cold (every chapter executed), cached with no change, after one chapter changes, after src/ changes.

Also the cost of the second execution that `make test` adds (every chapter again under another seed set and XLA's
SSE4_2 instruction set, `tools/second_execution.py`), run alone here, two chapters at a time.

"Cold" starts with empty caches, XLA's compilation cache (`_build/.jax_cache`) included. After a change to src/ every
chapter re-executes, but compiled functions that did not change load from that cache.

    .venv/bin/python benchmarks/build.py

Builds a copy of the working tree in a temporary folder (so the repository's own _build is untouched) with the
same command as `make book`. The cold build executes several chapters at once (`_ext/parallel_execution.py`), so
each chapter's own cold time is measured alone, with `tools/run_chapter.py --cold`; the re-execution times after a
change to src/ are read from the jupyter-cache records of that (parallel) rebuild.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "tools"))
import second_execution

from common import ROOT, Result, save, table

JB = Path(sys.executable).parent / "jupyter-book"


def copy_tree(dest: Path) -> None:
    """Copy the tracked and untracked (not ignored) files, plus the built JS assets, into ``dest``."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    if (ROOT / "_vendor").exists():
        shutil.copytree(ROOT / "_vendor", dest / "_vendor", symlinks=True)


def build(src: Path) -> float:
    """Seconds for one `jupyter-book build -W -n --keep-going` of ``src``; raises if the build fails."""
    start = time.perf_counter()
    proc = subprocess.run([str(JB), "build", str(src), "-W", "-n", "--keep-going"], capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def chapter_times(src: Path) -> dict[str, float]:
    """{chapter file name: execution seconds} from the build's jupyter-cache."""
    from jupyter_cache import get_cache

    return {
        Path(r.uri).name: r.data.get("execution_seconds", float("nan"))
        for r in get_cache(src / "_build" / ".jupyter_cache").list_cache_records()
    }


def chapter_alone(src: Path, chapter: Path) -> float:
    """Seconds for one cold execution of ``chapter`` (in ``src``) with nothing else executing; raises on a problem."""
    out = src / "_build" / f"{chapter.stem}.bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(src / "tools" / "run_chapter.py"), str(chapter), "--cold", "--json", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=src)
    if proc.returncode:
        raise RuntimeError(f"{chapter.name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(out.read_text())["seconds"]


def touch_code(path: Path) -> None:
    """Change a chapter's code (a comment in its first code cell), so its cache entry is stale."""
    text = path.read_text()
    path.write_text(text.replace("```{code-cell} ipython3\n", "```{code-cell} ipython3\n# benchmark edit\n", 1))


def main() -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)
        copy_tree(src)
        results.append(Result("cold build of the whole book", build(src), "s", target=300))
        for name in sorted(chapter_times(src)):
            target = 60 if name.startswith("08_") else 45
            seconds = chapter_alone(src, src / "chapters" / name)
            results.append(Result(f"  cold execution of {name}, alone", seconds, "s", target=target))
        start = time.perf_counter()
        rerun = second_execution.execute_all(src / "second_execution", seed_set=1, isa="SSE4_2", jobs=2)
        results.append(Result("second execution (seed set 1, SSE4_2; 2 at a time)", time.perf_counter() - start, "s"))
        failed = [r["chapter"] for r in rerun if r["problems"]]
        if failed:
            raise RuntimeError(f"the second execution failed in {failed}")
        results.append(Result("rebuild, nothing changed", build(src), "s", target=15))
        touch_code(src / "chapters" / "02_backpropagation.md")
        results.append(Result("rebuild after one chapter's code changed", build(src), "s"))
        # A change to src/gradflow: the book's extension clears the execution cache and re-executes every chapter
        # (XLA's compilation cache stays). A comment changes the sources' hash, not what the kernels compute.
        init = src / "src" / "gradflow" / "__init__.py"
        init.write_text(init.read_text() + "\n# benchmark edit\n")
        results.append(Result("rebuild after src/gradflow changed (everything re-runs)", build(src), "s"))
        for name, seconds in sorted(chapter_times(src).items()):  # XLA's compilation cache is warm now
            target = 60 if name.startswith("08_") else 45
            results.append(Result(f"  re-execution of {name} (warm XLA cache)", seconds, "s", target=target))
    return results


if __name__ == "__main__":
    results = main()
    print(table(results))
    save("build", results)
