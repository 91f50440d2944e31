"""Graded exercises: learner checks with hints, student notebooks from masters, sandboxed batch grading.

- ``checks``: tests (inputs, a reference, a comparison with hints) and running one (:class:`~gradflow.grading.checks.Suite`)
- ``checker``: the learner's ``check("q1")`` (:class:`Checker`), public tests on the notebook's own variables
- ``generate``: student notebooks and public tests from the masters in ``exercises/masters``
- ``notebooks``: reading the code cells of a notebook (.ipynb, or a MyST master)
- ``worker``: the only process that runs learner code; it answers the grader's probes with data
- ``wire``: that data (tagged JSON, validated, size-capped) and the messages that carry it
- ``session``: one submission's workers, read and written with deadlines, restarted without a failing step
- ``sandbox``: bubblewrap around each worker (or ``--sandbox none``)
- ``judge``: the tests run in the grader on the worker's answers; ``source``: reading definitions with ``ast``
- ``runner``: a folder of submissions, a row per file (``submissions``: keys, student ids)
- ``results`` and ``safe``: results, score tables, gradebook and feedback, with learner text made inert
- ``limits``, ``suites``: per-submission limits; loading a tests file (only ever in the grader)

Command line: ``python -m gradflow.grading --help``.
"""

from gradflow.grading.checker import Checker

__all__ = ["Checker"]
