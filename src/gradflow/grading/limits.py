"""Per-submission limits: time, CPU, memory, files, attempts."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Per-submission limits, per attempt.

    ``cell_s``/``test_s``: soft limits in CPU seconds for one cell or one probe (an exception there); ``cpu_s``: hard
    limit in CPU seconds (the kernel kills the worker); ``wall_s``: hard limit in seconds of wall time spent waiting
    for the worker (the grader kills it and everything it started). CPU time does not grow when other jobs slow the
    machine down, so busy machines give no time-outs. ``tmp_mb``: size of the sandbox's private ``/tmp``.
    """

    wall_s: float = 300.0
    cpu_s: float = 120.0
    cell_s: float = 30.0
    test_s: float = 20.0
    memory_mb: int = 4096
    file_mb: int = 64
    tmp_mb: int = 512
    attempts: int = 3

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
                raise ValueError(f"Limits.{name} must be a positive number; got {value!r}")
        if self.memory_mb < 3072:
            raise ValueError("Limits.memory_mb below 3072 MiB: JAX aborts (std::bad_alloc) in less address space")

    def for_worker(self) -> dict[str, Any]:
        """What the worker needs to know."""
        return {k: v for k, v in asdict(self).items() if k in ("cpu_s", "cell_s", "test_s", "memory_mb", "file_mb")}
