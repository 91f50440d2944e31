"""Loading a chapter's tests file (instructor code: only ever in the grader, never in a learner's worker)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from gradflow.grading.checks import Suite


def load_suite(tests_file: Path, name: str = "_gradflow_instructor_tests") -> Suite:
    """Execute an instructor tests file as a private module (not in ``sys.modules``) and return its ``suite``."""
    if not tests_file.is_file():
        raise ValueError(f"no tests file {tests_file}")
    spec = importlib.util.spec_from_file_location(name, tests_file)
    if spec is None or spec.loader is None:
        raise ValueError(f"cannot load tests from {tests_file}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    suite = getattr(module, "suite", None)
    if not isinstance(suite, Suite):
        raise TypeError(f"{tests_file} must define `suite = Suite(...)`")
    return suite
