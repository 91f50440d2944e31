"""Shared helpers for the benchmark scripts: timing statistics and the result table."""

from __future__ import annotations

import json
import platform
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


@dataclass
class Result:
    """One measured figure against its target (``better`` is "lower" or "higher")."""

    name: str
    value: float
    unit: str
    target: float | None = None
    better: str = "lower"

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value <= self.target if self.better == "lower" else self.value >= self.target

    def row(self) -> str:
        target = "" if self.target is None else f"{'≤' if self.better == 'lower' else '≥'} {self.target:g} {self.unit}"
        verdict = {True: "met", False: "MISSED", None: ""}[self.met]
        return f"| {self.name} | {self.value:.3g} {self.unit} | {target} | {verdict} |"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    if not values:
        raise ValueError("no values")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, round(q) - 1))]


def machine() -> str:
    """A one-line description of this machine."""
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def table(results: list[Result]) -> str:
    """Markdown table of results."""
    lines = ["| Measure | Value | Target | |", "|---|---|---|---|"]
    return "\n".join(lines + [r.row() for r in results])


def save(name: str, results: list[Result]) -> Path:
    """Write results to benchmarks/results/<name>.json (ignored by git) and return the path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), "results": [asdict(r) for r in results]}, indent=2))
    return path
